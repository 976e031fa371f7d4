// Real surroundings for the Resource Service's tests: PGlite databases, an S3
// server, the real Storage and Song services as processes, and a real Kafka
// broker (KAFKA_BROKERS, as `npm test` provides; Kafka helpers come from
// @soundline/dev-stack/testing). Nothing is mocked.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { createLogger } from '@soundline/platform'
import {
  http,
  kafkaBrokers,
  listenOnFreePort,
  startService,
  startTestDatabase,
  startTestS3,
  testS3Client,
  type HttpResult,
  type Teardown,
} from '@soundline/dev-stack/testing'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadResourceServiceConfig } from '../src/config.js'

// Every file that starts a stack: two databases and two service processes before
// its first test, more than tap's default 120 s on a busy 2-core machine.
t.setTimeout(240_000)

export const silent = createLogger({ service: 'resource-service-test', level: 'silent' })

export interface Stack {
  s3: S3Client
  s3Endpoint: string
  storageBase: string
  songBase: string
  /** Unique per stack: these tests share one broker and one S3 with other test files. */
  stagingBucket: string
  permanentBucket: string
  topicPrefix: string
  /** Closes the Storage Service: "down" for the resilience tests. */
  stopStorage(): Promise<void>
}

/** S3, the Storage Service (with this stack's own buckets as its lowest-id storages) and the Song Service. */
export async function startStack(teardown: Teardown): Promise<Stack> {
  const s3Server = await startTestS3()
  teardown(() => s3Server.stop())
  const s3 = testS3Client(s3Server.endpoint)
  teardown(() => s3.destroy())

  const [storageDb, songDb] = await Promise.all([startTestDatabase(), startTestDatabase()])
  teardown(() => storageDb.stop())
  teardown(() => songDb.stop())
  const [storage, song] = await Promise.all([
    startService('storage-service', { DATABASE_URL: storageDb.url, S3_ENDPOINT: s3Server.endpoint }),
    startService('song-service', { DATABASE_URL: songDb.url }),
  ])
  teardown(() => storage.stop())
  teardown(() => song.stop())
  const [storageBase, songBase] = [storage.url, song.url]

  const unique = randomBytes(4).toString('hex')
  const stagingBucket = `rs-staging-${unique}`
  const permanentBucket = `rs-permanent-${unique}`
  // Replace the defaults (shared bucket names) by this stack's buckets.
  await http('DELETE', `${storageBase}/storages?id=1,2`)
  await http('POST', `${storageBase}/storages`, { json: { storageType: 'STAGING', bucket: stagingBucket, path: '/staging' } })
  await http('POST', `${storageBase}/storages`, { json: { storageType: 'PERMANENT', bucket: permanentBucket, path: '/permanent/files' } })
  const stopStorage = () => storage.stop()
  return {
    s3,
    s3Endpoint: s3Server.endpoint,
    storageBase,
    songBase,
    stagingBucket,
    permanentBucket,
    topicPrefix: `test-${unique}.`,
    stopStorage,
  }
}

/** The Resource Service's configuration for the stack and a database; `env` adds or overrides. */
export function resourceServiceConfig(stack: Stack, databaseUrl: string, env: Record<string, string> = {}) {
  return loadResourceServiceConfig({
    DATABASE_URL: databaseUrl,
    S3_ENDPOINT: stack.s3Endpoint,
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: stack.topicPrefix,
    KAFKA_GROUP_ID: `${stack.topicPrefix}resource-service`,
    STORAGE_SERVICE_URL: stack.storageBase,
    SONG_SERVICE_URL: stack.songBase,
    ...env,
  })
}

/** A Resource Service wired to the stack, on a fresh database unless env.DATABASE_URL names one. */
export async function startResourceService(stack: Stack, teardown: Teardown, env: Record<string, string> = {}) {
  let databaseUrl = env.DATABASE_URL
  if (!databaseUrl) {
    const database = await startTestDatabase()
    teardown(() => database.stop())
    databaseUrl = database.url
  }
  const config = resourceServiceConfig(stack, databaseUrl, { LOG_LEVEL: 'silent', ...env })
  const app = await buildApp(config, silent)
  teardown(() => app.close())
  const base = await listenOnFreePort(app)
  return { app, base, databaseUrl }
}

export async function objectKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }))
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort()
}

/** Rows in a table of the service's database. */
export async function countRows(databaseUrl: string, table: 'resources' | 'outbox'): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n)
  } finally {
    await client.end()
  }
}

export async function upload(base: string, body: Uint8Array, headers: Record<string, string> = {}) {
  return http('POST', `${base}/resources`, { body, headers: { 'content-type': 'audio/mpeg', ...headers } })
}

/** One part of a form: a file when `filename` is set (as browsers and `curl -F name=@file` send it), else a text field. */
export interface FormPart {
  name: string
  value: Uint8Array | string
  filename?: string
  /** A file part's type; the Blob default (what curl sends for .mp3): application/octet-stream. */
  type?: string
}

/** A multipart/form-data upload built by fetch's FormData, as a browser form sends it. */
export async function formUpload(base: string, parts: FormPart[], headers: Record<string, string> = {}): Promise<HttpResult> {
  const form = new FormData()
  for (const part of parts) {
    if (part.filename === undefined) form.append(part.name, String(part.value))
    else form.append(part.name, new Blob([part.value], part.type ? { type: part.type } : {}), part.filename)
  }
  const response = await fetch(`${base}/resources`, { method: 'POST', body: form, headers })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined }
}
