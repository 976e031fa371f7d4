// The deletion load of the delete-saga drill: DELETE /resources?id= at a
// steady rate, each of resources this drill uploaded, retried like a client
// retries until it has an answer (a request the killed Resource Service
// never answered is sent again once it is back).

export interface DeleteAttempt {
  /** Which logical deletion this attempt belongs to. */
  seq: number
  attempt: number
  /** Drill ms. */
  startedAt: number
  latencyMs: number
  /** HTTP status, or 0 when no answer came. */
  status: number
  /** The ids the answer named (200 only): those that still existed. */
  answered?: number[]
  error?: string
}

export interface Deletion {
  seq: number
  ids: number[]
  attempts: DeleteAttempt[]
  /** The attempt answered 200, when one did. */
  done?: DeleteAttempt
}

const CLIENT_TIMEOUT_MS = 30_000
const RETRY_AFTER_MS = 1_000
/** A client gives up after this; the verdict then names the deletion that never got an answer. */
const GIVE_UP_AFTER_MS = 180_000

async function deleteOnce(url: string, deletion: Deletion, clock: () => number): Promise<DeleteAttempt> {
  const attempt = deletion.attempts.length + 1
  const startedAt = clock()
  const base = { seq: deletion.seq, attempt, startedAt }
  try {
    const response = await fetch(`${url}/resources?id=${deletion.ids.join(',')}`, {
      method: 'DELETE',
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    })
    const text = await response.text()
    const latencyMs = clock() - startedAt
    if (response.status !== 200) return { ...base, latencyMs, status: response.status, error: text.slice(0, 200) }
    return { ...base, latencyMs, status: 200, answered: (JSON.parse(text) as { ids: number[] }).ids }
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause
    return { ...base, latencyMs: clock() - startedAt, status: 0, error: cause?.code ?? (error as Error).message }
  }
}

export interface DeleterOptions {
  url: string
  /** DELETE requests per second. */
  rate: number
  idsPerDelete: number
  clock: () => number
  /** Runs before a deletion's first attempt (the drill notes where the files of the ids are while their rows exist). */
  beforeDelete?: (ids: number[]) => Promise<void>
}

/**
 * Picks what to delete from the uploads that answered, half of them the
 * newest (most likely still being processed: a deletion racing the move to
 * PERMANENT) and half older ones (PERMANENT, with a song and a permanent object).
 */
export class Deleter {
  private readonly uploaded: number[] = []
  private readonly chosen = new Set<number>()
  private readonly deletions: Deletion[] = []
  private readonly running: Promise<void>[] = []
  private stopped = false
  private loop: Promise<void> | undefined

  constructor(private readonly options: DeleterOptions) {}

  /** An upload answered with this id: it may be deleted from now on. */
  offer(id: number): void {
    this.uploaded.push(id)
  }

  start(): void {
    this.loop ??= this.steady()
  }

  /** One more DELETE now, outside the steady rate (a batch fired right before a kill). */
  fireNow(): Deletion | undefined {
    return this.send()
  }

  /** Stops starting deletions and waits until every one started has an answer (or was given up). */
  async stop(): Promise<Deletion[]> {
    this.stopped = true
    await this.loop
    await Promise.all(this.running)
    return this.deletions
  }

  private async steady(): Promise<void> {
    const begin = this.options.clock()
    for (let n = 0; !this.stopped; n++) {
      const wait = begin + (n * 1000) / this.options.rate - this.options.clock()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      if (!this.stopped) this.send()
    }
  }

  private pick(): number[] {
    const free = this.uploaded.filter((id) => !this.chosen.has(id))
    const ids: number[] = []
    const newest = free.at(-1)
    if (newest !== undefined) ids.push(newest)
    const older = free.slice(0, -1)
    while (ids.length < this.options.idsPerDelete && older.length > 0) {
      ids.push(...older.splice(Math.floor(Math.random() * older.length), 1))
    }
    ids.forEach((id) => this.chosen.add(id))
    return ids.sort((a, b) => a - b)
  }

  private send(): Deletion | undefined {
    const ids = this.pick()
    if (ids.length === 0) return undefined
    const deletion: Deletion = { seq: this.deletions.length, ids, attempts: [] }
    this.deletions.push(deletion)
    this.running.push(this.untilAnswered(deletion))
    return deletion
  }

  private async untilAnswered(deletion: Deletion): Promise<void> {
    await this.options.beforeDelete?.(deletion.ids).catch(() => undefined)
    const first = this.options.clock()
    for (;;) {
      const attempt = await deleteOnce(this.options.url, deletion, this.options.clock)
      deletion.attempts.push(attempt)
      if (attempt.status === 200) {
        deletion.done = attempt
        return
      }
      if (this.options.clock() - first > GIVE_UP_AFTER_MS) return
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS))
    }
  }
}
