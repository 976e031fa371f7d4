import { parseStream, type IAudioMetadata } from 'music-metadata'
import type { Readable } from 'node:stream'
import type { AudioFacts } from './metadata.js'

/** Year frames by tag version, newest first; ID3v2 wins over the ID3v1 trailer. */
const YEAR_FIELDS: [tagType: string, id: string][] = [
  ['ID3v2.4', 'TDRC'],
  ['ID3v2.3', 'TYER'],
  ['ID3v2.3', 'TDRC'],
  ['ID3v2.2', 'TYE'],
  ['ID3v1', 'year'],
]

/** The year text exactly as tagged (music-metadata's `common.year` turns "abcd" into NaN). */
function rawYear(metadata: IAudioMetadata): string | undefined {
  for (const [tagType, id] of YEAR_FIELDS) {
    const value = metadata.native[tagType]?.find((tag) => tag.id === id)?.value
    if (typeof value === 'string') return value
  }
  return metadata.common.year === undefined ? undefined : String(metadata.common.year)
}

export function factsOf(metadata: IAudioMetadata): AudioFacts {
  const { common, format } = metadata
  // Only MPEG audio counts: an ID3 tag in front of anything else is not an MP3.
  const isMpeg = format.container === 'MPEG'
  return {
    title: common.title,
    artist: common.artist,
    album: common.album,
    year: rawYear(metadata),
    durationSeconds: isMpeg ? format.duration : undefined,
  }
}

/**
 * Reads the tags and measures the audio of an MP3 given as a stream. With
 * `size` music-metadata also finds an ID3v1 trailer, and for constant bit
 * rate files without a Xing/Info header computes the length from the size.
 *
 * A file it cannot parse is a fact about the file (no duration); an error of
 * the stream itself (the download broke) is rethrown so the work is retried.
 */
export async function readAudioFacts(body: Readable, size?: number): Promise<AudioFacts> {
  let transportError: Error | undefined
  body.on('error', (error) => {
    transportError = error
  })
  try {
    const metadata = await parseStream(body, { mimeType: 'audio/mpeg', size }, { duration: true, skipCovers: true })
    if (transportError) throw transportError
    return factsOf(metadata)
  } catch (error) {
    if (transportError) throw transportError
    return { unreadable: (error as Error).message }
  } finally {
    // music-metadata stops reading once it has what it needs: release the connection.
    body.destroy()
  }
}
