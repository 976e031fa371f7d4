import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { MPEG_FRAME_HEADER_BYTES, parseMpegFrameHeader } from '@soundline/platform'
import { EmptyUpload, UploadTooLarge } from './errors.js'
import { ID3_HEADER_BYTES, id3TagLength } from './mp3-frame.js'

/** The bytes are not MPEG audio; the upload turns it into NotMp3Upload with the type the client declared. */
export class NotMp3Error extends Error {
  override name = 'NotMp3Error'
}

/** What the inspector learnt once the stream ended without an error. */
export interface InspectedFile {
  size: number
  sha256: string
}

type Phase = 'start' | 'first-frame' | 'second-frame' | 'done'

/**
 * Passes the bytes through unchanged (nothing is held back: memory stays flat)
 * while it counts them, hashes them and checks that they are MP3: an optional
 * ID3v2 tag (skipped by its declared size, never buffered), then an MPEG audio
 * frame header, then the next frame header where the first frame says it is.
 * Fails the stream with NotMp3Error, EmptyUpload or UploadTooLarge; `result` is set at end.
 */
export class Mp3Inspector extends Transform {
  result: InspectedFile | undefined
  private readonly hash = createHash('sha256')
  private seen = 0
  private phase: Phase = 'start'
  /** The bytes the current phase looks at: `want` bytes from offset `at`. */
  private at = 0
  private want = ID3_HEADER_BYTES
  private collected = Buffer.alloc(0)

  constructor(private readonly maxBytes: number) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const base = this.seen
    this.seen += chunk.length
    if (this.seen > this.maxBytes) return callback(new UploadTooLarge(this.maxBytes))
    this.hash.update(chunk)
    try {
      this.inspect(chunk, base)
    } catch (error) {
      return callback(error as Error)
    }
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    if (this.seen === 0) return callback(new EmptyUpload())
    // One complete frame and nothing (or a cut-off header) after it is still MP3.
    const complete = this.phase === 'done' || (this.phase === 'second-frame' && this.seen >= this.at)
    if (!complete) return callback(new NotMp3Error('the bytes end before an MPEG audio frame'))
    this.result = { size: this.seen, sha256: this.hash.digest('hex') }
    callback()
  }

  /** Collects the bytes the phase needs (they may span chunks) and advances. */
  private inspect(chunk: Buffer, base: number): void {
    while (this.phase !== 'done') {
      const from = this.at + this.collected.length
      const end = base + chunk.length
      if (from >= end) return
      const needed = this.want - this.collected.length
      const slice = chunk.subarray(from - base, Math.min(end, from + needed) - base)
      this.collected = Buffer.concat([this.collected, slice])
      if (this.collected.length < this.want) return
      this.advance(this.collected)
    }
  }

  private advance(bytes: Buffer): void {
    if (this.phase === 'start') {
      const tagLength = id3TagLength(bytes)
      this.checkFirstFrame(tagLength ?? 0, tagLength === undefined ? bytes.subarray(0, MPEG_FRAME_HEADER_BYTES) : undefined)
    } else if (this.phase === 'first-frame') {
      this.checkFirstFrame(this.at, bytes)
    } else {
      if (!parseMpegFrameHeader(bytes)) throw new NotMp3Error('no MPEG audio frame where the previous frame ends')
      this.phase = 'done'
    }
  }

  /** `header` given: check it now; else wait for the 4 bytes at `offset`. */
  private checkFirstFrame(offset: number, header: Uint8Array | undefined): void {
    this.collected = Buffer.alloc(0)
    this.want = MPEG_FRAME_HEADER_BYTES
    if (!header) {
      this.phase = 'first-frame'
      this.at = offset
      return
    }
    const frame = parseMpegFrameHeader(header)
    if (!frame) throw new NotMp3Error('no MPEG audio frame header')
    this.phase = 'second-frame'
    this.at = offset + frame.length
  }
}
