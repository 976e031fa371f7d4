/**
 * Counts the MPEG audio frames actually present in a stream, so the song's
 * duration is the audio's, never what a header claims: a Xing/Info or VBRI
 * header states the frame count of the file as it was encoded, and a file cut
 * short keeps that claim (README "What happens to an uploaded file").
 *
 * Walks the stream once, holding at most a few dozen bytes: an optional
 * ID3v2 tag (skipped by its size), then frame after frame by each header's
 * length. Only complete frames count; the Xing/Info/VBRI frame holds no audio.
 * The walk ends at the first place where no frame header is (an ID3v1 or APE
 * trailer, junk, the cut).
 */
import { parseMpegFrameHeader, type MpegFrameHeader } from '@soundline/platform'

/** How far past the ID3v2 tag the first frame header is looked for (encoders may leave padding). */
const FIRST_FRAME_SEARCH_BYTES = 64 * 1024
/** The first frame's header, side information and a Xing/Info/VBRI tag id. */
const FIRST_FRAME_PROBE_BYTES = 4 + 32 + 4

function isInfoFrame(bytes: Uint8Array, frame: MpegFrameHeader): boolean {
  const id = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4))
  const xing = frame.xingOffset > 0 ? id(frame.xingOffset) : ''
  return xing === 'Xing' || xing === 'Info' || id(4 + 32) === 'VBRI'
}

export interface CountedAudio {
  frames: number
  /** Seconds of audio in the complete frames; 0 when there are none. */
  seconds: number
}

export class MpegFrameCounter {
  private position = 0
  /** Absolute offset of what the walk needs next. */
  private next = 0
  private phase: 'id3' | 'search' | 'frames' | 'done' = 'id3'
  private window = Buffer.alloc(0)
  private windowStart = 0
  /** Where the first frame header is looked for from: the end of the ID3v2 tag. */
  private searchFrom = 0
  private frames = 0
  private samples = 0
  private sampleRate = 0
  /** A frame whose header was read: it counts once its last byte has arrived. */
  private pendingFrame: { end: number; samples: number } | undefined

  update(chunk: Buffer): void {
    const chunkStart = this.position
    this.position += chunk.length
    this.completePending()
    if (this.phase === 'done') return
    // Keep only the bytes from `next` on: what lies before is skipped unread.
    const from = Math.max(0, this.next - chunkStart)
    if (from < chunk.length) {
      if (this.window.length === 0) this.windowStart = chunkStart + from
      this.window = Buffer.concat([this.window, chunk.subarray(from)])
    }
    this.walk()
  }

  result(): CountedAudio {
    this.completePending()
    return { frames: this.frames, seconds: this.sampleRate > 0 ? this.samples / this.sampleRate : 0 }
  }

  private completePending(): void {
    if (this.pendingFrame && this.position >= this.pendingFrame.end) {
      this.frames++
      this.samples += this.pendingFrame.samples
      this.pendingFrame = undefined
    }
  }

  /** Bytes of the window from absolute offset `at`, once `count` of them are there. */
  private bytesAt(at: number, count: number): Buffer | undefined {
    const start = at - this.windowStart
    if (start < 0 || start + count > this.window.length) return undefined
    return this.window.subarray(start, start + count)
  }

  private advanceTo(offset: number): void {
    this.next = offset
    const drop = Math.min(this.window.length, offset - this.windowStart)
    this.window = this.window.subarray(drop)
    this.windowStart += drop
  }

  private walk(): void {
    for (;;) {
      if (this.phase === 'id3') {
        const header = this.bytesAt(this.next, 10)
        if (!header) return
        const tagged = header.toString('latin1', 0, 3) === 'ID3'
        const size = tagged
          ? 10 + ((header.readUInt8(6) << 21) | (header.readUInt8(7) << 14) | (header.readUInt8(8) << 7) | header.readUInt8(9))
          : 0
        this.phase = 'search'
        this.searchFrom = this.next + size
        this.advanceTo(this.searchFrom)
      } else if (this.phase === 'search') {
        const probe = this.bytesAt(this.next, FIRST_FRAME_PROBE_BYTES)
        if (!probe) return
        const frame = parseMpegFrameHeader(probe)
        if (!frame) {
          if (this.next - this.searchFrom > FIRST_FRAME_SEARCH_BYTES) this.phase = 'done'
          else this.advanceTo(this.next + 1)
          continue
        }
        this.sampleRate = frame.sampleRate
        this.phase = 'frames'
        this.advanceTo(this.next + frame.length)
        // The Xing/Info/VBRI frame describes the file; it holds no audio.
        if (!isInfoFrame(probe, frame)) this.expect(frame)
      } else if (this.phase === 'frames') {
        const header = this.bytesAt(this.next, 4)
        if (!header) return
        const frame = parseMpegFrameHeader(header)
        if (!frame || frame.sampleRate !== this.sampleRate) {
          this.phase = 'done'
          this.window = Buffer.alloc(0)
          return
        }
        this.advanceTo(this.next + frame.length)
        this.expect(frame)
      } else {
        return
      }
    }
  }

  /** The frame just walked over (which ends at `next`) counts once all its bytes are here. */
  private expect(frame: MpegFrameHeader): void {
    this.completePending()
    this.pendingFrame = { end: this.next, samples: frame.samples }
    this.completePending()
  }
}
