/**
 * MPEG audio frame headers (ISO 11172-3 / 13818-3): enough to tell an MP3
 * stream from other bytes, find where the next frame starts and count the
 * audio a frame holds. The Resource Service sniffs uploads with it, the
 * Resource Processor counts frames (README "What happens to an uploaded file").
 */

export const MPEG_FRAME_HEADER_BYTES = 4

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

export interface MpegFrameHeader {
  /** Bytes from this header to the next one. */
  length: number
  /** Audio samples (per channel) the frame holds. */
  samples: number
  sampleRate: number
  /** Where a Xing/Info tag would start: after the header and the Layer III side information (0 for Layer I). */
  xingOffset: number
}

/** Parses the first 4 bytes as a frame header; undefined when they are not a valid one. */
export function parseMpegFrameHeader(bytes: Uint8Array): MpegFrameHeader | undefined {
  if (bytes.length < MPEG_FRAME_HEADER_BYTES) return undefined
  const [b0, b1, b2, b3] = bytes as unknown as [number, number, number, number]
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined
  const versionBits = (b1 >> 3) & 0x03 // 0: 2.5, 1: reserved, 2: 2, 3: 1
  const layerBits = (b1 >> 1) & 0x03 // 1: III, 2: II, 3: I, 0: reserved
  const bitrateIndex = b2 >> 4
  const sampleRateIndex = (b2 >> 2) & 0x03
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || sampleRateIndex === 3) return undefined
  const layer = 4 - layerBits // 1, 2 or 3
  const isMpeg1 = versionBits === 3
  const bitrate = ((isMpeg1 ? V1_BITRATES : V2_BITRATES)[layer - 1]?.[bitrateIndex] ?? 0) * 1000
  const sampleRate = SAMPLE_RATES[versionBits]?.[sampleRateIndex] ?? 0
  if (bitrate === 0 || sampleRate === 0) return undefined
  const padding = (b2 >> 1) & 0x01
  if (layer === 1) return { length: (Math.floor((12 * bitrate) / sampleRate) + padding) * 4, samples: 384, sampleRate, xingOffset: 0 }
  // MPEG-2/2.5 Layer III frames hold half the samples of MPEG-1 ones.
  const halfFrame = layer === 3 && !isMpeg1
  const length = Math.floor(((halfFrame ? 72 : 144) * bitrate) / sampleRate) + padding
  const mono = b3 >> 6 === 3
  const side = layer !== 3 ? 0 : isMpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17
  return { length, samples: halfFrame ? 576 : 1152, sampleRate, xingOffset: 4 + side }
}
