/**
 * MPEG audio frame headers (ISO 11172-3 / 13818-3): enough to tell an MP3
 * stream from other bytes and to find where the next frame starts.
 */

export const FRAME_HEADER_BYTES = 4
export const ID3_HEADER_BYTES = 10

// Bitrates in kbit/s by [version row][layer row][index]; index 0 (free) and 15 (bad) are refused.
const V1_BITRATES = [
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // Layer I
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384], // Layer II
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320], // Layer III
]
const V2_BITRATES = [
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256], // Layer I
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // Layer II
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // Layer III
]
const SAMPLE_RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000], // MPEG-1
  2: [22050, 24000, 16000], // MPEG-2
  0: [11025, 12000, 8000], // MPEG-2.5
}

export interface FrameHeader {
  /** Bytes from this header to the next one. */
  frameLength: number
}

/** Parses 4 bytes as a frame header; undefined when they are not a valid one. */
export function parseFrameHeader(bytes: Uint8Array): FrameHeader | undefined {
  const [b0, b1, b2] = bytes as unknown as [number, number, number]
  if (bytes.length < FRAME_HEADER_BYTES || b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined
  const versionBits = (b1 >> 3) & 0x03 // 0: 2.5, 1: reserved, 2: 2, 3: 1
  const layerBits = (b1 >> 1) & 0x03 // 1: III, 2: II, 3: I, 0: reserved
  const bitrateIndex = b2 >> 4
  const sampleRateIndex = (b2 >> 2) & 0x03
  const padding = (b2 >> 1) & 0x01
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || sampleRateIndex === 3) return undefined
  const layer = 4 - layerBits // 1, 2 or 3
  const isMpeg1 = versionBits === 3
  const bitrate = ((isMpeg1 ? V1_BITRATES : V2_BITRATES)[layer - 1]?.[bitrateIndex] ?? 0) * 1000
  const sampleRate = SAMPLE_RATES[versionBits]?.[sampleRateIndex] ?? 0
  if (bitrate === 0 || sampleRate === 0) return undefined
  if (layer === 1) return { frameLength: (Math.floor((12 * bitrate) / sampleRate) + padding) * 4 }
  // MPEG-2/2.5 Layer III frames hold half the samples of MPEG-1 ones.
  const coefficient = layer === 3 && !isMpeg1 ? 72 : 144
  return { frameLength: Math.floor((coefficient * bitrate) / sampleRate) + padding }
}

/**
 * An ID3v2 header ("ID3", version, flags, 4 syncsafe size bytes): the number
 * of bytes the whole tag takes, header and footer included; undefined when the
 * bytes are not an ID3v2 header.
 */
export function id3TagLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < ID3_HEADER_BYTES || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return undefined
  const size = bytes.subarray(6, 10)
  if (size.some((byte) => byte >= 0x80) || bytes[3] === 0xff || bytes[4] === 0xff) return undefined
  const [s0, s1, s2, s3] = size as unknown as [number, number, number, number]
  const body = (s0 << 21) | (s1 << 14) | (s2 << 7) | s3
  const hasFooter = ((bytes[5] ?? 0) & 0x10) !== 0
  return ID3_HEADER_BYTES + body + (hasFooter ? ID3_HEADER_BYTES : 0)
}
