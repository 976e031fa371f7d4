// Test fixtures: real MP3 files with real ID3 tags, made by code at test time
// (no binary files in the repo, no system tools). Audio comes from a pure-JS
// LAME port; tags from the small ID3 writer below.
import { Mp3Encoder } from '@breezystack/lamejs'

export type Mp3Tag = 'id3v2.3' | 'id3v2.4' | 'id3v1' | 'none'

export interface Mp3Options {
  /** Audio length; the file holds whole frames, so it is this long or up to one frame (26 ms) longer. Default 3. */
  seconds?: number
  /** Tag fields; a field left out is not written at all. */
  title?: string
  artist?: string
  album?: string
  /** Written as given: TYER (v2.3), TDRC (v2.4, may be a full date like '1977-10-28'), the year field (v1). */
  year?: string
  /** Default 'id3v2.3'. */
  tag?: Mp3Tag
  /** Different seeds give different audio, hence different bytes. Default 1. */
  seed?: number
  /** MPEG sample rate; default 44100 (MPEG-1 Layer III). */
  sampleRate?: 8000 | 11025 | 12000 | 16000 | 22050 | 24000 | 32000 | 44100 | 48000
  /** Constant bit rate; default 64. Lower it to keep very long files small. */
  kbps?: number
}

/** A tagged, playable MP3 file. Long files cost no more to make than short ones. */
export function makeMp3(options: Mp3Options = {}): Buffer {
  const audio = audioStream(options.seconds ?? 3, options.seed ?? 1, options.sampleRate ?? 44100, options.kbps ?? 64)
  const fields = { title: options.title, artist: options.artist, album: options.album, year: options.year }
  switch (options.tag ?? 'id3v2.3') {
    case 'id3v2.3':
      return Buffer.concat([id3v2(fields, 3), audio])
    case 'id3v2.4':
      return Buffer.concat([id3v2(fields, 4), audio])
    case 'id3v1':
      return Buffer.concat([audio, id3v1(fields)])
    case 'none':
      return audio
  }
}

/** The classic example of the contract, as tags. */
export const QUEEN_TAGS = { title: 'We are the champions', artist: 'Queen', album: 'News of the world', year: '1977' } as const

/** Starts like an MP3 (a valid ID3v2 tag) but no MPEG audio follows: only noise without frame syncs. */
export function fakeMp3Bytes(seed = 1): Buffer {
  const random = prng(seed)
  // Bytes below 0xFF can never form an MPEG frame sync (11 set bits).
  const noise = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 0xff)))
  return Buffer.concat([id3v2(QUEEN_TAGS, 3), noise])
}

/** An MP3 whose upload broke off: the full ID3v2 tag, then less than one audio frame. */
export function truncatedMp3(options: Mp3Options = {}, audioBytes = 100): Buffer {
  const tagged = makeMp3({ ...QUEEN_TAGS, ...options, tag: options.tag === 'id3v2.4' ? 'id3v2.4' : 'id3v2.3' })
  return tagged.subarray(0, id3v2Size(tagged) + audioBytes)
}

/** A valid 1x1 PNG image. */
export function pngBytes(): Buffer {
  return Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
}

/** A valid WAV file (16-bit mono PCM, 8 kHz): audio, but not MP3. */
export function wavBytes(seconds = 0.1): Buffer {
  const rate = 8000
  const samples = Math.round(seconds * rate)
  const wav = Buffer.alloc(44 + samples * 2)
  wav.write('RIFF', 0, 'latin1')
  wav.writeUInt32LE(36 + samples * 2, 4)
  wav.write('WAVEfmt ', 8, 'latin1')
  wav.writeUInt32LE(16, 16) // fmt chunk size
  wav.writeUInt16LE(1, 20) // PCM
  wav.writeUInt16LE(1, 22) // mono
  wav.writeUInt32LE(rate, 24)
  wav.writeUInt32LE(rate * 2, 28) // bytes per second
  wav.writeUInt16LE(2, 32) // block align
  wav.writeUInt16LE(16, 34) // bits per sample
  wav.write('data', 36, 'latin1')
  wav.writeUInt32LE(samples * 2, 40)
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2)
  return wav
}

// --- audio ---------------------------------------------------------------

/** Audio encoded per seed is a quarter second; longer files cycle its frames. */
const BLOCK_SECONDS = 0.25
const blocks = new Map<string, EncodedBlock>()

function audioStream(seconds: number, seed: number, sampleRate: number, kbps: number): Buffer {
  if (!(seconds > 0)) throw new RangeError(`seconds must be positive, got ${seconds}`)
  const block = encodedBlock(seed, sampleRate, kbps)
  const count = Math.ceil((seconds * block.sampleRate) / block.samplesPerFrame)
  // Every cycle restarts at the block's first frame, which uses no bit
  // reservoir from earlier frames: the concatenation stays a valid stream.
  return Buffer.concat(Array.from({ length: count }, (_, i) => block.frames[i % block.frames.length] as Buffer))
}

interface EncodedBlock {
  frames: Buffer[]
  /** As encoded: LAME resamples on its own when the bit rate is low for the requested rate. */
  sampleRate: number
  samplesPerFrame: number
}

function encodedBlock(seed: number, sampleRate: number, kbps: number): EncodedBlock {
  const key = `${seed}/${sampleRate}/${kbps}`
  let block = blocks.get(key)
  if (!block) {
    const random = prng(seed)
    const frequency = 220 + random() * 660
    const pcm = new Int16Array(Math.round(BLOCK_SECONDS * sampleRate))
    for (let i = 0; i < pcm.length; i++) {
      pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * frequency * i) / sampleRate) + 500 * (random() - 0.5))
    }
    const encoder = new Mp3Encoder(1, sampleRate, kbps)
    // lamejs really returns Int8Arrays (its typings say Uint8Array): view their bytes.
    const encoded = Buffer.concat(
      [encoder.encodeBuffer(pcm), encoder.flush()].map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)),
    )
    block = splitFrames(encoded)
    blocks.set(key, block)
  }
  return block
}

const BITRATES_MPEG1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
const BITRATES_MPEG2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
const SAMPLE_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] }

/** Splits a Layer III stream into its frames (by reading each frame header). */
function splitFrames(stream: Buffer): EncodedBlock {
  const frames: Buffer[] = []
  let sampleRate = 0
  let version = 0
  let offset = 0
  while (offset + 4 <= stream.length) {
    const header = stream.readUInt32BE(offset)
    if (header >>> 21 !== 0x7ff) throw new Error(`no MPEG frame sync at byte ${offset}`)
    version = (header >>> 19) & 3
    const bitrate = (version === 3 ? BITRATES_MPEG1 : BITRATES_MPEG2)[(header >>> 12) & 15] ?? 0
    sampleRate = SAMPLE_RATES[version]?.[(header >>> 10) & 3] ?? 0
    const padding = (header >>> 9) & 1
    const length = Math.floor(((version === 3 ? 144 : 72) * bitrate * 1000) / sampleRate) + padding
    if (!(length > 4)) throw new Error(`bad MPEG frame header at byte ${offset}`)
    frames.push(stream.subarray(offset, offset + length))
    offset += length
  }
  return { frames, sampleRate, samplesPerFrame: version === 3 ? 1152 : 576 }
}

/** Deterministic numbers in [0, 1) (mulberry32). */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// --- ID3 -----------------------------------------------------------------

interface TagFields {
  title?: string | undefined
  artist?: string | undefined
  album?: string | undefined
  year?: string | undefined
}

/** Big-endian 4 bytes of 7 bits each (ID3 "synchsafe"). */
function synchsafe(value: number): Buffer {
  return Buffer.from([(value >>> 21) & 0x7f, (value >>> 14) & 0x7f, (value >>> 7) & 0x7f, value & 0x7f])
}

function textFrame(id: string, text: string, version: 3 | 4): Buffer {
  let body: Buffer
  if (version === 4) {
    body = Buffer.concat([Buffer.from([3]), Buffer.from(text, 'utf8')])
  } else if ([...text].every((char) => char.charCodeAt(0) <= 0xff)) {
    body = Buffer.concat([Buffer.from([0]), Buffer.from(text, 'latin1')])
  } else {
    // v2.3 has no UTF-8: UTF-16 with a byte-order mark.
    body = Buffer.concat([Buffer.from([1, 0xff, 0xfe]), Buffer.from(text, 'utf16le')])
  }
  const size = version === 4 ? synchsafe(body.length) : Buffer.alloc(4)
  if (version === 3) size.writeUInt32BE(body.length)
  return Buffer.concat([Buffer.from(id, 'latin1'), size, Buffer.alloc(2), body])
}

function id3v2(fields: TagFields, version: 3 | 4): Buffer {
  const ids = { title: 'TIT2', artist: 'TPE1', album: 'TALB', year: version === 4 ? 'TDRC' : 'TYER' } as const
  const frames = (Object.keys(ids) as (keyof typeof ids)[])
    .filter((field) => fields[field] !== undefined)
    .map((field) => textFrame(ids[field], fields[field] as string, version))
  // Taggers leave room to edit in place; readers must skip the zero padding.
  const body = Buffer.concat([...frames, Buffer.alloc(32)])
  return Buffer.concat([Buffer.from('ID3', 'latin1'), Buffer.from([version, 0, 0]), synchsafe(body.length), body])
}

/** Length of a leading ID3v2 tag, header included (0 when there is none). */
function id3v2Size(file: Buffer): number {
  if (file.subarray(0, 3).toString('latin1') !== 'ID3') return 0
  return 10 + ((file.readUInt8(6) << 21) | (file.readUInt8(7) << 14) | (file.readUInt8(8) << 7) | file.readUInt8(9))
}

/** The 128-byte ID3v1 trailer: fixed-width Latin-1 fields, no genre. */
function id3v1(fields: TagFields): Buffer {
  const tag = Buffer.alloc(128)
  tag.write('TAG', 0, 'latin1')
  tag.write(fields.title ?? '', 3, 30, 'latin1')
  tag.write(fields.artist ?? '', 33, 30, 'latin1')
  tag.write(fields.album ?? '', 63, 30, 'latin1')
  tag.write(fields.year ?? '', 93, 4, 'latin1')
  tag[127] = 0xff
  return tag
}
