import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/**
 * The first admin's password for local development: generated once, kept in
 * the data folder (mode 0600) so it matches the admin the Auth Service created
 * on its first start, and never a fixed default. ADMIN_PASSWORD overrides it.
 */
export async function localAdminPassword(dataDir: string): Promise<{ password: string; file: string; created: boolean }> {
  const file = join(dataDir, 'admin-password')
  if (process.env.ADMIN_PASSWORD) return { password: process.env.ADMIN_PASSWORD, file: '(ADMIN_PASSWORD)', created: false }
  try {
    return { password: (await readFile(file, 'utf8')).trim(), file, created: false }
  } catch {
    const password = randomBytes(18).toString('base64url')
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, `${password}\n`, { mode: 0o600 })
    return { password, file, created: true }
  }
}

/** The password is shown when it is generated; after that, where it is kept. */
export function tokenHowTo(admin: { password: string; file: string; created: boolean }, gatewayUrl: string): string[] {
  const password = admin.created ? admin.password : `'"$(cat ${admin.file})"'`
  const login = `curl -s -X POST ${gatewayUrl}/auth/login -H 'content-type: application/json' -d '{"username":"admin","password":"${password}"}'`
  return [
    `Gateway ${gatewayUrl} needs a bearer token (AUTH_ENABLED=false on the gateway turns that off).`,
    admin.created
      ? `  admin:       username "admin", password ${admin.password} (generated now, shown once; kept in ${admin.file})`
      : `  admin:       username "admin", password in ${admin.file}`,
    `  get a token: ${login}`,
    `  use it:      curl -H "Authorization: Bearer <accessToken>" ${gatewayUrl}/storages`,
    `  new user:    curl -s -X POST ${gatewayUrl}/auth/register -H 'content-type: application/json' -d '{"username":"alice","password":"at-least-8-chars"}'`,
  ]
}
