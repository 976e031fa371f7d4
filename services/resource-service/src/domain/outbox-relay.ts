import type { PipelineEvent } from '@soundline/contracts'
import type { Logger } from '@soundline/platform'

export interface OutboxEntry {
  id: bigint
  topic: string
  event: PipelineEvent
}

/** The outbox table; the Prisma adapter implements it. */
export interface Outbox {
  /**
   * Leases up to `limit` unpublished entries, oldest first, in a short
   * transaction of its own (rows leased by another replica are skipped).
   */
  claim(limit: number): Promise<OutboxEntry[]>
  /** Removes published entries. */
  remove(ids: bigint[]): Promise<void>
  /** Ends the lease of entries that could not be published, so the next attempt needs no lease expiry. */
  release(ids: bigint[]): Promise<void>
}

export interface EventSink {
  publish(topic: string, events: PipelineEvent[]): Promise<void>
}

export interface OutboxRelayOptions {
  pollIntervalMs: number
  batchSize?: number
  /** Longest wait between attempts while Kafka is down. */
  maxBackoffMs?: number
}

/**
 * Publishes what the outbox holds: claim (short transaction), publish (no
 * transaction open: PGlite runs one transaction at a time, and Kafka may be
 * slow), remove. A crash between publish and remove republishes the batch
 * after the lease expires: consumers de-duplicate by eventId.
 */
export class OutboxRelay {
  private readonly batchSize: number
  private readonly maxBackoffMs: number
  private running: Promise<void> | undefined
  private stopped = false
  private wakeUp: (() => void) | undefined
  private woken = false
  private failingSince: number | undefined

  constructor(
    private readonly outbox: Outbox,
    private readonly sink: EventSink,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 100
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000
  }

  start(): void {
    this.running ??= this.loop()
  }

  /** Something was just committed: publish it now rather than at the next poll. */
  wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wake()
    await this.running
  }

  /** Publishes until the outbox is empty; true when all went out. */
  async drain(): Promise<boolean> {
    for (;;) {
      const entries = await this.outbox.claim(this.batchSize)
      if (entries.length === 0) return true
      const unpublished = new Set(entries.map((entry) => entry.id))
      try {
        for (const batch of byTopicRuns(entries)) {
          await this.sink.publish(
            batch.topic,
            batch.entries.map((entry) => entry.event),
          )
          const ids = batch.entries.map((entry) => entry.id)
          await this.outbox.remove(ids)
          for (const id of ids) unpublished.delete(id)
        }
      } catch (error) {
        await this.outbox.release([...unpublished]).catch(() => undefined)
        throw error
      }
      if (entries.length < this.batchSize) return true
    }
  }

  private async loop(): Promise<void> {
    let failures = 0
    while (!this.stopped) {
      this.woken = false
      try {
        await this.drain()
        if (failures > 0) this.logger.info({ downForMs: Date.now() - (this.failingSince ?? Date.now()) }, 'outbox relay: publishing again')
        failures = 0
        this.failingSince = undefined
      } catch (error) {
        failures += 1
        if (failures === 1) {
          this.failingSince = Date.now()
          this.logger.warn({ err: error }, 'outbox relay: cannot publish; events stay in the outbox, retrying with backoff')
        }
      }
      if (this.stopped) break
      await this.sleep(failures === 0 ? this.options.pollIntervalMs : this.backoff(failures))
    }
  }

  private backoff(failures: number): number {
    const base = Math.min(this.maxBackoffMs, this.options.pollIntervalMs * 2 ** Math.min(failures, 10))
    return base / 2 + Math.random() * (base / 2)
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken && this.failingSince === undefined) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.wakeUp = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      // While Kafka is down a commit does not cut the backoff short; stop() always does.
      this.wakeUp = () => {
        if (this.stopped || this.failingSince === undefined) done()
      }
    })
  }
}

/** Consecutive entries of one topic, in id order (one resource's events keep their order). */
function byTopicRuns(entries: OutboxEntry[]): { topic: string; entries: OutboxEntry[] }[] {
  const runs: { topic: string; entries: OutboxEntry[] }[] = []
  for (const entry of [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const last = runs.at(-1)
    if (last && last.topic === entry.topic) last.entries.push(entry)
    else runs.push({ topic: entry.topic, entries: [entry] })
  }
  return runs
}
