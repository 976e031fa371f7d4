import { parseStream, type IAudioMetadata } from 'music-metadata'
import { PassThrough, type Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import type { AudioFacts } from './metadata.js'
import { MpegFrameCounter, type CountedAudio } from './mpeg-frames.js'

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

/**
 * The tags as music-metadata read them; the duration from the frames counted
 * in the bytes that arrived, never from a Xing/Info header or a size estimate,
 * which describe the file as it was encoded, not as it was uploaded.
 */
export function factsOf(metadata: IAudioMetadata, audio: CountedAudio): AudioFacts {
  const { common, format } = metadata
  // Only MPEG audio counts: an ID3 tag in front of anything else is not an MP3.
  const isMpeg = format.container === 'MPEG'
  return {
    title: common.title,
    artist: common.artist,
    album: common.album,
    year: rawYear(metadata),
    durationSeconds: isMpeg && audio.frames > 0 ? audio.seconds : undefined,
  }
}

/**
 * Reads the tags (music-metadata; with `size` it also finds an ID3v1 trailer)
 * and counts the audio frames of an MP3 given as a stream, to its last byte.
 *
 * A file it cannot parse is a fact about the file (no duration); an error of
 * the stream itself (the download broke) is rethrown so the work is retried.
 */
export async function readAudioFacts(body: Readable, size?: number): Promise<AudioFacts> {
  let transportError: Error | undefined
  body.on('error', (error) => {
    transportError = error
  })
  // Every byte passes the frame counter on its way to music-metadata.
  const counter = new MpegFrameCounter()
  const tee = new PassThrough()
  body.on('data', (chunk: Buffer) => {
    counter.update(chunk)
    if (!tee.write(chunk)) body.pause()
  })
  tee.on('drain', () => body.resume())
  body.on('end', () => tee.end())
  body.on('error', (error) => tee.destroy(error))
  try {
    const metadata = await parseStream(tee, { mimeType: 'audio/mpeg', size }, { duration: true, skipCovers: true })
    // music-metadata stops once it has the tags: the rest still passes the counter.
    tee.resume()
    body.resume()
    if (!body.readableEnded && !body.destroyed) await finished(body)
    if (transportError) throw transportError
    return factsOf(metadata, counter.result())
  } catch (error) {
    if (transportError) throw transportError
    return { unreadable: (error as Error).message }
  } finally {
    // Release the connection whatever happened.
    body.destroy()
    tee.destroy()
  }
}
