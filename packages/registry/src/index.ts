// The service registry: every Soundline service once, in services.json, so that the
// local stack, the drills, the bench, the Tiltfile and the services' config defaults
// cannot disagree about a port, a database or who calls whom. Plain JSON because
// the Tiltfile reads the same file (read_json); this module checks and freezes it.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface ServiceDatabase {
  /** Database name; `<NAME>_DATABASE_URL` points the local stack at an external one. */
  readonly name: string
  /** Port of the embedded database `npm start` serves it on. */
  readonly devPort: number
}

export interface ServiceDefinition {
  readonly name: string
  /** HTTP port: the default of PORT, the chart's service port. */
  readonly port: number
  readonly database?: ServiceDatabase
  /** Services it calls over HTTP, each through `<NAME>_URL`. */
  readonly upstreams: readonly string[]
  /** Kafka topics it publishes and subscribes to (without KAFKA_TOPIC_PREFIX, retry and dead-letter topics). */
  readonly produces: readonly string[]
  readonly consumes: readonly string[]
  /** Whether it talks to S3. */
  readonly s3: boolean
  /** Image repository, as built by skaffold and Tilt. */
  readonly image: string
  /** Chart directory under charts/. */
  readonly chart: string
}

/** The file itself, for tools that read it (tests, scripts). */
export const REGISTRY_FILE = fileURLToPath(new URL('../services.json', import.meta.url))

class RegistryError extends Error {
  override name = 'RegistryError'
}

function fail(message: string): never {
  throw new RegistryError(`${REGISTRY_FILE}: ${message}`)
}

const isPort = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0 && (value as number) < 65_536
const isName = (value: unknown): value is string => typeof value === 'string' && /^[a-z][a-z0-9-]*$/.test(value)

function stringList(entry: Record<string, unknown>, key: string, where: string): string[] {
  const value = entry[key]
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0))
    fail(`${where}.${key} must be an array of names`)
  return value as string[]
}

function parseService(raw: unknown, index: number): ServiceDefinition {
  const where = `services[${index}]`
  if (typeof raw !== 'object' || raw === null) fail(`${where} must be an object`)
  const entry = raw as Record<string, unknown>
  if (!isName(entry.name)) fail(`${where}.name must be a lower-case name`)
  const name = entry.name
  if (!isPort(entry.port)) fail(`${name}.port must be a TCP port`)
  let database: ServiceDatabase | undefined
  if (entry.database !== undefined) {
    const db = entry.database as Partial<ServiceDatabase> | null
    if (typeof db !== 'object' || db === null || !isName(db.name) || !isPort(db.devPort)) fail(`${name}.database must be { name, devPort }`)
    database = { name: db.name, devPort: db.devPort }
  }
  if (typeof entry.s3 !== 'boolean') fail(`${name}.s3 must be true or false`)
  if (typeof entry.image !== 'string' || entry.image === '') fail(`${name}.image must be an image repository`)
  if (!isName(entry.chart)) fail(`${name}.chart must be a chart directory name`)
  return {
    name,
    port: entry.port,
    ...(database ? { database } : {}),
    upstreams: stringList(entry, 'upstreams', name),
    produces: stringList(entry, 'produces', name),
    consumes: stringList(entry, 'consumes', name),
    s3: entry.s3,
    image: entry.image,
    chart: entry.chart,
  }
}

function unique(values: readonly (string | number)[], what: string): void {
  const seen = new Set<string | number>()
  for (const value of values) {
    if (seen.has(value)) fail(`${what} ${value} appears twice`)
    seen.add(value)
  }
}

/** Parses and checks a registry document; exported so the checks themselves can be tested. */
export function parseRegistry(document: unknown): readonly ServiceDefinition[] {
  const list = (document as { services?: unknown } | null)?.services
  if (!Array.isArray(list)) fail('"services" must be an array')
  const services = list.map(parseService)
  const names = services.map((s) => s.name)
  unique(names, 'service')
  unique([...services.map((s) => s.port), ...services.flatMap((s) => (s.database ? [s.database.devPort] : []))], 'port')
  unique(
    services.flatMap((s) => (s.database ? [s.database.name] : [])),
    'database',
  )
  for (const s of services) {
    for (const upstream of s.upstreams) {
      // Start order is the file's order: an upstream listed later could not be waited for.
      const at = names.indexOf(upstream)
      if (at < 0) fail(`${s.name} calls ${upstream}, which is not a service`)
      if (at > names.indexOf(s.name)) fail(`${s.name} calls ${upstream}, listed after it (list providers first)`)
    }
  }
  return Object.freeze(services.map(deepFreeze))
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) deepFreeze(inner as object)
  return Object.freeze(value)
}

/** Every service, providers before their callers (the local stack's start order). */
export const SERVICES: readonly ServiceDefinition[] = parseRegistry(JSON.parse(readFileSync(REGISTRY_FILE, 'utf8')))

export function service(name: string): ServiceDefinition {
  const found = SERVICES.find((s) => s.name === name)
  if (!found) throw new RegistryError(`unknown service ${name} (known: ${SERVICES.map((s) => s.name).join(', ')})`)
  return found
}

/** Where a service answers on `host`: the local default is this machine. */
export function serviceUrl(name: string, host = '127.0.0.1'): string {
  return `http://${host}:${service(name).port}`
}

/** `song-service` → `SONG_SERVICE_URL`: the variable through which callers find a service. */
export function serviceUrlVariable(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`
}

/** The service's embedded development database, as `npm start` serves it. */
export function devDatabaseUrl(name: string): string {
  const database = service(name).database
  if (!database) throw new RegistryError(`${name} has no database`)
  return `postgres://postgres@127.0.0.1:${database.devPort}/postgres`
}

/** The built entry point, relative to the repository root. */
export function serviceEntry(name: string): string {
  return `services/${service(name).name}/dist/server.js`
}

/** skaffold's template key of an image (`{{.IMAGE_TAG_<key>}}`): `soundline/song-service` → `soundline_song_service`. */
export function skaffoldImageKey(image: string): string {
  return image.replace(/[^A-Za-z0-9]/g, '_')
}

/** Whether the service needs Kafka (it produces or consumes a topic). */
export function usesKafka(name: string): boolean {
  const s = service(name)
  return s.produces.length + s.consumes.length > 0
}

/** `names` in start waves: each service after those it calls among `names`, a wave's services together. */
export function startWaves(names: readonly string[]): string[][] {
  const waves: string[][] = []
  let waiting = [...names]
  while (waiting.length > 0) {
    const wave = waiting.filter((name) => service(name).upstreams.every((upstream) => !waiting.includes(upstream)))
    // parseRegistry lists every upstream before its caller: there is no cycle, so a wave is never empty.
    waves.push(wave)
    waiting = waiting.filter((name) => !wave.includes(name))
  }
  return waves
}
