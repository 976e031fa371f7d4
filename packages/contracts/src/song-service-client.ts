import { IdCsvQuery, IdParams, IdResponse, IdsResponse, type ServiceCaller, type ValidationErrorBodyShape } from '@soundline/platform'
import type { Static } from 'typebox'
import { OperationClient, type Operations } from './operation.js'
import { Song, SongFields } from './songs.js'

/** What the Song Service's callers use of it. */
export const SONG_SERVICE_OPERATIONS = {
  create: { method: 'POST', path: '/songs', body: Song, success: { status: 200, body: IdResponse }, idempotent: false },
  get: { method: 'GET', path: '/songs/{id}', params: IdParams, success: { status: 200, body: Song }, idempotent: true },
  delete: { method: 'DELETE', path: '/songs', query: IdCsvQuery, success: { status: 200, body: IdsResponse }, idempotent: true },
  // The record as read from the file, replacing whatever was there (docs/resilience.md "Song metadata is the file's own").
  record: {
    method: 'PUT',
    path: '/internal/songs/{id}',
    params: IdParams,
    body: SongFields,
    success: { status: 200, body: IdResponse },
    idempotent: true,
  },
} as const satisfies Operations

/** The Song Service's 400: why it refused the metadata, in its own words. */
export type RecordResult = { accepted: true } | { accepted: false; reason: string }

export class SongServiceClient extends OperationClient {
  static readonly operations = SONG_SERVICE_OPERATIONS

  constructor(caller: ServiceCaller) {
    super(caller, 'song-service')
  }

  /** POST /songs; a 409 (the id has metadata) throws an UnexpectedAnswerError with that status. */
  async create(song: Song): Promise<number> {
    const op = SONG_SERVICE_OPERATIONS.create
    return (await this.expect<Static<typeof IdResponse>>(op, await this.call(op, { body: song }), 'POST /songs')).id
  }

  /** null when the resource has no song metadata. */
  async get(id: number): Promise<Song | null> {
    const op = SONG_SERVICE_OPERATIONS.get
    return this.expectOrAbsent<Song>(op, await this.call(op, { params: { id } }), `GET /songs/${id}`)
  }

  /** The ids that had metadata; the rest had none, which is no error. */
  async delete(ids: number[]): Promise<number[]> {
    const op = SONG_SERVICE_OPERATIONS.delete
    return (
      await this.expect<Static<typeof IdsResponse>>(
        op,
        await this.call(op, { query: { id: ids.join(',') } }),
        `DELETE /songs for ${ids.join(',')}`,
      )
    ).ids
  }

  /** PUT /internal/songs/{id}: created or replaced; a 400 is the file's metadata refused, not an error. */
  async record(id: number, fields: SongFields): Promise<RecordResult> {
    const op = SONG_SERVICE_OPERATIONS.record
    const response = await this.call(op, { params: { id }, body: fields })
    if (response.status === 400) {
      const body = await response.json<Partial<ValidationErrorBodyShape>>().catch(() => ({}) as Partial<ValidationErrorBodyShape>)
      const details = Object.values(body.details ?? {})
      return { accepted: false, reason: details.length > 0 ? details.join('; ') : 'rejected by the Song Service' }
    }
    await this.expect<Static<typeof IdResponse>>(op, response, `PUT /internal/songs/${id}`)
    return { accepted: true }
  }
}
