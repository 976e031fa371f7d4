// Prisma 7 CLI config for this schema (`prisma migrate deploy --config prisma/<service>/prisma.config.ts`).
// DATABASE_URL is only needed by commands that talk to a database; `prisma generate`
// runs at postinstall without one, so an unset variable must not throw here.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'prisma/config'

const here = path.dirname(fileURLToPath(import.meta.url))

export default defineConfig({
  schema: path.join(here, 'schema.prisma'),
  migrations: { path: path.join(here, 'migrations') },
  datasource: { url: process.env.DATABASE_URL },
})
