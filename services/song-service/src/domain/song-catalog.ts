import { DomainError } from '@soundline/platform'
import type { Song } from '../schemas/songs.js'

/** Metadata for the resource exists already (src/plugins/app/domain-errors.ts says how it answers). */
export class SongAlreadyExists extends DomainError {
  constructor(readonly id: number) {
    super(`song metadata for resource ${id} exists`)
  }
}

export class SongNotFound extends DomainError {
  constructor(readonly id: number) {
    super(`no song metadata for resource ${id}`)
  }
}

/** Where songs are kept; the Prisma adapter implements it. */
export interface SongRepository {
  /** Inserts the song; false when metadata for that id already exists. */
  insert(song: Song): Promise<boolean>
  /** Inserts the song, or replaces the one with its id. */
  upsert(song: Song): Promise<void>
  findById(id: number): Promise<Song | null>
  /** Deletes the ids that exist and returns exactly those. */
  deleteByIds(ids: number[]): Promise<number[]>
}

/** The Song Service's rules: one metadata record per resource id. */
export class SongCatalog {
  constructor(private readonly songs: SongRepository) {}

  async create(song: Song): Promise<{ id: number }> {
    const created = await this.songs.insert(song)
    if (!created) throw new SongAlreadyExists(song.id)
    return { id: song.id }
  }

  /**
   * The Resource Processor's write (docs/resilience.md "Song metadata is the
   * file's own"): what the file's tags say becomes the record, whatever was
   * there before, and a repeat with the same values changes nothing.
   */
  async put(song: Song): Promise<{ id: number }> {
    await this.songs.upsert(song)
    return { id: song.id }
  }

  async get(id: number): Promise<Song> {
    const song = await this.songs.findById(id)
    if (!song) throw new SongNotFound(id)
    return song
  }

  async delete(ids: number[]): Promise<{ ids: number[] }> {
    return { ids: await this.songs.deleteByIds(ids) }
  }
}
