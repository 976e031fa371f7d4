import { createLogger } from '@soundline/platform'
import { listenOnFreePort } from '@soundline/dev-stack/testing'
import { buildApp } from '../src/app.js'
import { loadAuthServiceConfig } from '../src/config.js'

/** A real Auth Service on an ephemeral port, over the given database. */
export async function startAuthService(databaseUrl: string, env: Record<string, string> = {}) {
  const config = loadAuthServiceConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    PASSWORD_SCRYPT_COST: '1024',
    ADMIN_PASSWORD: 'admin-test-password',
    ...env,
  })
  const app = await buildApp(config, createLogger({ service: 'auth-service', level: 'silent' }))
  const base = await listenOnFreePort(app)
  return { app, base, config }
}
