// A steady, open-loop upload load: request i starts at i/rate seconds whatever
// the earlier ones are doing, so a slow dependency shows as latency, not as a
// quietly lower rate.
import type { Fixture } from './fixtures.js'

export interface UploadRecord {
  seq: number
  /** Milliseconds since the drill's clock started, when the request was sent. */
  startedAt: number
  latencyMs: number
  /** HTTP status, or 0 when no answer came (connection error, client timeout). */
  status: number
  id?: number
  error?: string
  fixture: Fixture
}

const CLIENT_TIMEOUT_MS = 30_000

async function uploadOnce(url: string, fixture: Fixture, seq: number, clock: () => number): Promise<UploadRecord> {
  const startedAt = clock()
  try {
    const response = await fetch(`${url}/resources`, {
      method: 'POST',
      headers: { 'content-type': 'audio/mpeg' },
      body: fixture.bytes,
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    })
    const text = await response.text()
    const latencyMs = clock() - startedAt
    if (response.status !== 200) return { seq, startedAt, latencyMs, status: response.status, error: text.slice(0, 200), fixture }
    return { seq, startedAt, latencyMs, status: 200, id: (JSON.parse(text) as { id: number }).id, fixture }
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause
    return { seq, startedAt, latencyMs: clock() - startedAt, status: 0, error: cause?.code ?? (error as Error).message, fixture }
  }
}

/**
 * Sends fixtures[0..] at `rate` per second until `stopAt()` (drill ms) has passed or the
 * fixtures run out; resolves with every record once all have answered.
 */
export async function runLoad(options: {
  url: string
  rate: number
  stopAt: () => number
  fixtures: Fixture[]
  clock: () => number
  /** Each record as soon as its upload answered (a drill that deletes picks from them). */
  onRecord?: (record: UploadRecord) => void
}): Promise<UploadRecord[]> {
  const begin = options.clock()
  const pending: Promise<UploadRecord>[] = []
  for (let seq = 0; seq < options.fixtures.length; seq++) {
    const due = begin + (seq * 1000) / options.rate
    if (due >= options.stopAt()) break
    const wait = due - options.clock()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const upload = uploadOnce(options.url, options.fixtures[seq] as Fixture, seq, options.clock)
    const onRecord = options.onRecord
    pending.push(
      onRecord
        ? upload.then((record) => {
            onRecord(record)
            return record
          })
        : upload,
    )
  }
  return Promise.all(pending)
}
