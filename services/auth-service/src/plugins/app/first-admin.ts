import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'
import type { AuthServiceConfig } from '../../config.js'

/** A generated first-admin password: 24 characters from 18 random bytes. */
const generatePassword = (): string => randomBytes(18).toString('base64url')

/**
 * The first admin comes from configuration: ADMIN_USERNAME / ADMIN_PASSWORD
 * (from a Secret in a cluster). Without a password, development generates one
 * and prints it once, at creation; production creates no admin at all. There
 * is never a fixed default password.
 */
export default fp<{ config: AuthServiceConfig }>(
  async (app, { config }) => {
    const username = config.ADMIN_USERNAME
    if (!config.ADMIN_PASSWORD && config.NODE_ENV === 'production') {
      if (!(await app.authAccounts.hasAdmin())) app.log.warn('no admin user exists: set ADMIN_PASSWORD to create the first one')
      return
    }
    const result = await app.authAccounts.ensureAdmin({ username, password: config.ADMIN_PASSWORD, generate: generatePassword })
    if (!result.created) return
    app.log.warn({ admin: username, generated: result.generatedPassword !== undefined }, 'first admin created')
    if (result.generatedPassword) {
      // Printed, not logged: log pipelines keep lines forever, and this is shown exactly once.
      console.error(
        `auth-service: first admin "${username}" created with the generated password ${result.generatedPassword} (shown only now; set ADMIN_PASSWORD to choose it)`,
      )
    }
  },
  { name: 'first-admin', dependencies: ['auth'] },
)
