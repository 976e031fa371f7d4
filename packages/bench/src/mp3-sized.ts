// MP3 files of a given size for the upload benchmarks. makeMp3 encodes a
// quarter second once and repeats its frames, so even 200 MB costs only a copy;
// the file stays a real, tagged, playable stream the services accept.
import { QUEEN_TAGS, makeMp3 } from '@soundline/dev-stack/testing'

/** 320 kbps = 40,000 bytes a second: 200 MB is 83 minutes, under the 99:59 a song may last. */
const KBPS = 320
const BYTES_PER_SECOND = (KBPS * 1000) / 8

/** A tagged MP3 of at least `bytes` bytes (whole frames, so up to one frame more). */
export function mp3OfSize(bytes: number, title: string = QUEEN_TAGS.title): Buffer {
  return makeMp3({ ...QUEEN_TAGS, title, kbps: KBPS, seconds: bytes / BYTES_PER_SECOND })
}
