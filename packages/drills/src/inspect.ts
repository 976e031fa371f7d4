// What the stack holds after a drill, read straight from its stores (the
// databases, the buckets, the broker): the verdict must not trust the
// services' own view of themselves.
import { ListObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createS3Client } from '@soundline/platform'
import { Kafka, logLevel } from 'kafkajs'
import pg from 'pg'
import type { DrillStack } from './stack.js'

export const PERMANENT_BUCKET = 'resources-permanent'
export const STAGING_BUCKET = 'resources-staging'
/**
 * s3rver removes a directory when its last object is deleted, and a concurrent
 * PUT into that directory then fails with an unhandled ENOENT that kills the
 * whole server process. One object that is never deleted keeps each prefix
 * directory alive (the default storages' paths, storage-registry.ts).
 */
const PINS = [
  { bucket: STAGING_BUCKET, key: 'staging/.drill-pin' },
  { bucket: PERMANENT_BUCKET, key: 'permanent/.drill-pin' },
]
const LIST_ATTEMPTS = 5
const isPin = (key: string): boolean => key.endsWith('/.drill-pin')

export interface SongRow {
  id: number
  name: string
  artist: string
  album: string
  year: string
  duration: string
}

export class StackInspector {
  private readonly resourceDb: pg.Pool
  private readonly songDb: pg.Pool
  private readonly s3: S3Client

  constructor(private readonly stack: DrillStack) {
    this.resourceDb = new pg.Pool({ connectionString: stack.databaseUrls.resource, max: 2 })
    this.songDb = new pg.Pool({ connectionString: stack.databaseUrls.song, max: 2 })
    this.s3 = createS3Client({
      endpoint: stack.s3Endpoint,
      region: 'us-east-1',
      accessKeyId: 'test',
      secretAccessKey: 'test',
      forcePathStyle: true,
    })
  }

  /** Call once the Storage Service has created the buckets. */
  async pinPrefixes(): Promise<void> {
    for (const pin of PINS)
      await this.s3.send(new PutObjectCommand({ Bucket: pin.bucket, Key: pin.key, Body: 'keeps this directory in s3rver' }))
  }

  async maxResourceId(): Promise<number> {
    const result = await this.resourceDb.query<{ max: number | null }>('SELECT max(id) AS max FROM resources')
    return result.rows[0]?.max ?? 0
  }

  /** id → state, for the given ids. */
  async states(ids: number[]): Promise<Map<number, string>> {
    const result = await this.resourceDb.query<{ id: number; state: string }>('SELECT id, state FROM resources WHERE id = ANY($1::int[])', [
      ids,
    ])
    return new Map(result.rows.map((row) => [row.id, row.state]))
  }

  async songs(ids: number[]): Promise<Map<number, SongRow>> {
    const result = await this.songDb.query<SongRow>('SELECT id, name, artist, album, year, duration FROM songs WHERE id = ANY($1::int[])', [
      ids,
    ])
    return new Map(result.rows.map((row) => [row.id, row]))
  }

  /** Resource rows and songs with an id above `afterId`: what this drill created, wanted or not. */
  async createdAfter(afterId: number): Promise<{ resourceIds: number[]; songIds: number[] }> {
    const resources = await this.resourceDb.query<{ id: number }>('SELECT id FROM resources WHERE id > $1', [afterId])
    const songs = await this.songDb.query<{ id: number }>('SELECT id FROM songs WHERE id > $1', [afterId])
    return { resourceIds: resources.rows.map((r) => r.id), songIds: songs.rows.map((r) => r.id) }
  }

  /** Keys of PERMANENT rows (every run so far) and the objects in both buckets. */
  async objects(): Promise<{ permanentKeys: Set<string>; permanentObjects: string[]; stagingObjects: string[] }> {
    const rows = await this.resourceDb.query<{ key: string }>(`SELECT key FROM resources WHERE state = 'PERMANENT' AND bucket = $1`, [
      PERMANENT_BUCKET,
    ])
    return {
      permanentKeys: new Set(rows.rows.map((r) => r.key)),
      permanentObjects: await this.list(PERMANENT_BUCKET),
      stagingObjects: await this.list(STAGING_BUCKET),
    }
  }

  /** Messages ever written to each dead-letter topic (`*.dlq`): high watermark minus low, summed over partitions. */
  async deadLetters(): Promise<Record<string, number>> {
    const kafka = new Kafka({
      clientId: 'soundline-drill',
      brokers: [this.stack.kafkaBrokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    })
    const admin = kafka.admin()
    await admin.connect()
    try {
      const counts: Record<string, number> = {}
      for (const topic of (await admin.listTopics()).filter((name) => name.endsWith('.dlq'))) {
        const offsets = await admin.fetchTopicOffsets(topic)
        counts[topic] = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
      }
      return counts
    } finally {
      await admin.disconnect()
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.resourceDb.end(), this.songDb.end()])
    this.s3.destroy()
  }

  /** s3rver answers 500 when an object vanishes while it lists (the services delete staging copies): list again. */
  private async list(bucket: string): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.listOnce(bucket)
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0
        if (status < 500 || attempt >= LIST_ATTEMPTS)
          throw new Error(`listing bucket ${bucket} failed ${attempt} times (the S3 server's reason is in the services log)`, {
            cause: error,
          })
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
  }

  /**
   * ListObjects (v1), paged by marker: s3rver builds v2 continuation tokens with a cipher
   * OpenSSL 3 refuses, so a v2 listing of more than 1,000 objects answers 500.
   */
  private async listOnce(bucket: string): Promise<string[]> {
    const keys: string[] = []
    let marker: string | undefined
    for (;;) {
      try {
        const page = await this.s3.send(new ListObjectsCommand({ Bucket: bucket, Marker: marker }))
        const pageKeys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []))
        keys.push(...pageKeys.filter((key) => !isPin(key)))
        if (!page.IsTruncated || pageKeys.length === 0) return keys
        marker = pageKeys[pageKeys.length - 1]
      } catch (error) {
        if ((error as Error).name === 'NoSuchBucket') return keys
        throw error
      }
    }
  }
}
