import autoload from '@fastify/autoload'
import { createApp, type App, type Logger } from '@soundline/platform'
import { fileURLToPath } from 'node:url'
import type { AuthServiceConfig } from './config.js'
import database from './plugins/external/database.js'
import auth from './plugins/app/auth.js'
import { authServiceErrors } from './plugins/app/domain-errors.js'
import firstAdmin from './plugins/app/first-admin.js'

export const SERVICE = {
  name: 'auth-service',
  version: '0.1.0',
  description: 'Users, passwords, access tokens (EdDSA JWT) and refresh tokens; signing keys published as JWKS.',
}

export async function buildApp(config: AuthServiceConfig, logger: Logger): Promise<App> {
  const app = await createApp({ service: SERVICE, logger, server: config, domainErrors: authServiceErrors })
  await app.register(database, { config })
  await app.register(auth, { config })
  await app.register(firstAdmin, { config })
  await app.register(autoload, { dir: fileURLToPath(new URL('./routes', import.meta.url)) })
  return app
}
