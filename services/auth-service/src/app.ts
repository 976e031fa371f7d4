import { serviceApp } from '@soundline/platform'
import type { AuthServiceConfig } from './config.js'
import database from './plugins/external/database.js'
import auth from './plugins/app/auth.js'
import { authServiceErrors } from './plugins/app/domain-errors.js'
import firstAdmin from './plugins/app/first-admin.js'

export const buildApp = serviceApp<AuthServiceConfig>({
  name: 'auth-service',
  description: 'Users, passwords, access tokens (EdDSA JWT) and refresh tokens; signing keys published as JWKS.',
  plugins: [database, auth, firstAdmin],
  version: '0.1.0',
  domainErrors: authServiceErrors,
  routes: new URL('./routes', import.meta.url),
})

export const SERVICE = buildApp.service
