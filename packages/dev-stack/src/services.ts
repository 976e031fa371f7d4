import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { SERVICES as REGISTRY, serviceEntry } from '@soundline/registry'

/** One service `npm start` runs. */
export interface ServiceEntry {
  name: string
  /** HTTP port (PORT). */
  port: number
  /** Database name, when the service owns one; `<NAME>_DATABASE_URL` overrides the embedded one. */
  database?: string
  /** Port of the embedded database. */
  dbPort?: number
  /** Built entry point, relative to the repo root (or absolute). */
  entry: string
}

/** Every service of the system, in start order (the registry's). Entries whose build is missing are skipped. */
export const SERVICES: readonly ServiceEntry[] = REGISTRY.map((service) => ({
  name: service.name,
  port: service.port,
  ...(service.database ? { database: service.database.name, dbPort: service.database.devPort } : {}),
  entry: serviceEntry(service.name),
}))

/**
 * The registry in use: SOUNDLINE_SERVICES (a JSON array of entries) replaces
 * the built-in one, which lets tests run the orchestrator on free ports.
 */
export function serviceRegistry(env: NodeJS.ProcessEnv = process.env): readonly ServiceEntry[] {
  const override = env.SOUNDLINE_SERVICES
  return override ? (JSON.parse(override) as ServiceEntry[]) : SERVICES
}

export function entryPath(repoRoot: string, service: ServiceEntry): string {
  return resolve(repoRoot, service.entry)
}

/** The entries that are built (their entry file exists). */
export function availableServices(repoRoot: string, services: readonly ServiceEntry[] = serviceRegistry()): ServiceEntry[] {
  return services.filter((service) => existsSync(entryPath(repoRoot, service)))
}

/** `song` → `SONG_DATABASE_URL`: the variable that points one service at an external database. */
export function databaseUrlVariable(database: string): string {
  return `${database.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_DATABASE_URL`
}
