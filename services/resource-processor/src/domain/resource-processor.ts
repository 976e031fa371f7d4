import type { Readable } from 'node:stream'
import { readAudioFacts } from './audio-file.js'
import { toSongMetadata, type SongMetadata } from './metadata.js'

/** An uploaded file as the Resource Service serves it. */
export interface ResourceDownload {
  body: Readable
  /** Content-Length, when the server sent one. */
  size?: number
}

/** The Resource Service; the HTTP adapter implements it. */
export interface ResourceSource {
  /** The file's bytes, or null when the resource no longer exists. Throws when the service is unavailable. */
  download(resourceId: number): Promise<ResourceDownload | null>
}

/** Refused for good: the Song Service's validation messages. */
export type SongCreation = { accepted: true } | { accepted: false; reason: string }

/** The Song Service; the HTTP adapter implements it. Throws when the service is unavailable. */
export interface SongStore {
  /** Records the song as the resource's own: replaces other metadata under the id; a repeat is harmless. */
  create(resourceId: number, song: SongMetadata): Promise<SongCreation>
}

export type ProcessingResult = { status: 'OK' } | { status: 'FAILED'; reason: string }

/** Where `resource.processed` goes. */
export interface ProcessedEvents {
  publish(resourceId: number, result: ProcessingResult, traceparent?: string): Promise<void>
}

export type Outcome = 'ok' | 'failed' | 'skipped'

/**
 * The processor's work for each event. Everything that throws is retried
 * (the event is not acknowledged); what the file itself gets wrong ends the
 * resource FAILED with a reason instead, since retrying cannot fix a file.
 */
export class ResourceProcessor {
  constructor(
    private readonly resources: ResourceSource,
    private readonly songs: SongStore,
    private readonly events: ProcessedEvents,
  ) {}

  /** resource.uploaded: read the file, record its song, report the result. */
  async process(resourceId: number, traceparent?: string): Promise<Outcome> {
    const download = await this.resources.download(resourceId)
    // Deleted since it was uploaded: nothing to record and nobody to tell.
    if (download === null) return 'skipped'
    const facts = await readAudioFacts(download.body, download.size)
    const mapping = toSongMetadata(facts)
    let result: ProcessingResult
    if (mapping.ok) {
      const creation = await this.songs.create(resourceId, mapping.song)
      result = creation.accepted ? { status: 'OK' } : { status: 'FAILED', reason: `Invalid song metadata: ${creation.reason}` }
    } else {
      result = { status: 'FAILED', reason: mapping.reason }
    }
    await this.events.publish(resourceId, result, traceparent)
    return result.status === 'OK' ? 'ok' : 'failed'
  }
}
