import { createWriteStream } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { gunzipSync, gzipSync } from 'node:zlib'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3'
import type { TableName } from './tables.js'

/** The one object that says which files make up the warehouse; written last by a refresh. */
export const MANIFEST_KEY = '_manifest.json'

/** What a snapshot table remembers of each row: its version (md5 of the row) and its partition. */
export interface IndexEntry {
  version: string
  day: string
  /** resources only: the state, to tell which events a change is. */
  state?: string
}
export type RowIndex = Map<number, IndexEntry>

export interface TableManifest {
  /** day → Parquet object keys. */
  partitions: Record<string, string[]>
  /** Snapshot tables: the row index object (gzip JSON), the watermark the next refresh compares against. */
  index?: string
  rows: number
}

export interface Manifest {
  format: 1
  refreshId: string
  refreshedAt: string
  /** Per source database: when its snapshot was taken (the transaction's start). */
  watermarks: Record<string, string>
  tables: Record<TableName, TableManifest>
}

export class WarehouseStore {
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async readManifest(): Promise<Manifest | undefined> {
    const body = await this.getBytes(MANIFEST_KEY)
    return body ? (JSON.parse(body.toString('utf8')) as Manifest) : undefined
  }

  /** The commit point of a refresh: one PutObject replaces the manifest as a whole. */
  async writeManifest(manifest: Manifest): Promise<void> {
    await this.put(MANIFEST_KEY, Buffer.from(JSON.stringify(manifest, null, 1)), 'application/json')
  }

  async readIndex(key: string | undefined): Promise<RowIndex> {
    if (!key) return new Map()
    const body = await this.getBytes(key)
    if (!body) throw new Error(`warehouse index ${key} is missing from bucket ${this.bucket}`)
    const entries = JSON.parse(gunzipSync(body).toString('utf8')) as [number, IndexEntry][]
    return new Map(entries)
  }

  async writeIndex(key: string, index: RowIndex): Promise<void> {
    await this.put(key, gzipSync(JSON.stringify([...index])), 'application/gzip')
  }

  async put(key: string, body: Buffer, contentType = 'application/vnd.apache.parquet'): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }))
  }

  async putFile(key: string, path: string): Promise<void> {
    await this.put(key, await readFile(path))
  }

  /** Downloads an object to a file; false when it does not exist. */
  async download(key: string, path: string): Promise<boolean> {
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      await mkdir(dirname(path), { recursive: true })
      await pipeline(answer.Body as Readable, createWriteStream(path))
      return true
    } catch (error) {
      if (isMissing(error)) return false
      throw error
    }
  }

  async listKeys(): Promise<string[]> {
    const keys: string[] = []
    let token: string | undefined
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }))
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key)
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return keys
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
  }

  private async getBytes(key: string): Promise<Buffer | undefined> {
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      return Buffer.from((await answer.Body?.transformToByteArray()) ?? [])
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)
}

/** Every object a manifest refers to. */
export function manifestKeys(manifest: Manifest | undefined): Set<string> {
  const keys = new Set<string>([MANIFEST_KEY])
  for (const table of Object.values(manifest?.tables ?? {})) {
    if (table.index) keys.add(table.index)
    for (const parts of Object.values(table.partitions)) for (const key of parts) keys.add(key)
  }
  return keys
}
