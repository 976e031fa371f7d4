/** ID3v2 tags in front of MP3 audio; the frame headers are the platform's (parseMpegFrameHeader). */

export const ID3_HEADER_BYTES = 10

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
