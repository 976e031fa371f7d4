// The deletion sagas as their table records them (the resource database,
// read directly): what was in flight when the Resource Service died, when each
// one moved again, and when it completed. The services' own view is not trusted.
import pg from 'pg'

export interface SagaRow {
  id: number
  resourceIds: number[]
  step: string
  state: string
  attempts: number
  lastError: string | null
  /** Wall clock, ms. */
  createdAt: number
  completedAt?: number
  claimedUntil?: number
}

export interface SagaHistory {
  /** The row as last read. */
  last: SagaRow
  /** Drill ms of each poll that saw (step, state, attempts) change, with the new value. */
  changes: { t: number; step: string; state: string; attempts: number }[]
}

interface RawRow {
  id: number
  resource_ids: number[]
  step: string
  state: string
  attempts: number
  last_error: string | null
  created_at: Date
  completed_at: Date | null
  claimed_until: Date | null
}

const POLL_MS = 500

const toRow = (raw: RawRow): SagaRow => ({
  id: raw.id,
  resourceIds: raw.resource_ids,
  step: raw.step,
  state: raw.state,
  attempts: raw.attempts,
  lastError: raw.last_error,
  createdAt: raw.created_at.getTime(),
  completedAt: raw.completed_at?.getTime(),
  claimedUntil: raw.claimed_until?.getTime(),
})

const same = (a: SagaRow, b: SagaRow): boolean => a.step === b.step && a.state === b.state && a.attempts === b.attempts

export class SagaWatcher {
  private readonly db: pg.Pool
  private afterId = 0
  private seenUpTo = 0
  readonly histories = new Map<number, SagaHistory>()
  /** Drill ms and the number of RUNNING sagas (of this drill) each poll saw. */
  readonly running: { t: number; count: number }[] = []
  private polling = false
  private loop: Promise<void> | undefined

  constructor(
    databaseUrl: string,
    private readonly clock: () => number,
  ) {
    this.db = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  }

  /** Sagas from now on are this drill's. */
  async begin(): Promise<void> {
    const result = await this.db.query<{ max: number | null }>('SELECT max(id) AS max FROM deletion_sagas')
    this.afterId = result.rows[0]?.max ?? 0
    this.seenUpTo = this.afterId
  }

  /** Every saga of this drill as the table holds it now. */
  async read(): Promise<SagaRow[]> {
    const result = await this.db.query<RawRow>(
      `SELECT id, resource_ids, step, state, attempts, last_error, created_at, completed_at, claimed_until
       FROM deletion_sagas WHERE id > $1 ORDER BY id`,
      [this.afterId],
    )
    return result.rows.map(toRow)
  }

  /** The file name (the last part of the key, the same in staging and permanent) of each resource among `ids`. */
  async fileNames(ids: number[]): Promise<Map<number, string>> {
    const result = await this.db.query<{ id: number; staging_key: string }>(
      'SELECT id, staging_key FROM resources WHERE id = ANY($1::int[])',
      [ids],
    )
    return new Map(result.rows.map((row) => [row.id, row.staging_key.split('/').at(-1) ?? row.staging_key]))
  }

  /** Where the current object of each resource among `ids` is. */
  async locations(ids: number[]): Promise<Map<number, { bucket: string; key: string }>> {
    const result = await this.db.query<{ id: number; bucket: string; key: string }>(
      'SELECT id, bucket, key FROM resources WHERE id = ANY($1::int[])',
      [ids],
    )
    return new Map(result.rows.map((row) => [row.id, { bucket: row.bucket, key: row.key }]))
  }

  /** Reads the table every 500 ms until stopped, keeping each saga's changes. */
  start(): void {
    if (this.loop) return
    this.polling = true
    this.loop = (async () => {
      while (this.polling) {
        const started = this.clock()
        await this.poll().catch(() => undefined)
        const wait = started + POLL_MS - this.clock()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      }
    })()
  }

  /**
   * One look at what changes: sagas not COMPLETED and those new since the last look (a
   * light query: the table's single backend also serves the service). A saga that was
   * RUNNING and is no longer listed has COMPLETED.
   */
  async poll(): Promise<SagaRow[]> {
    const result = await this.db.query<RawRow>(
      `SELECT id, resource_ids, step, state, attempts, last_error, created_at, completed_at, claimed_until
       FROM deletion_sagas WHERE id > $1 AND (state <> 'COMPLETED' OR id > $2) ORDER BY id`,
      [this.afterId, this.seenUpTo],
    )
    const rows = result.rows.map(toRow)
    const t = this.clock()
    const listed = new Set(rows.map((row) => row.id))
    for (const history of this.histories.values()) {
      if (history.last.state === 'COMPLETED' || listed.has(history.last.id)) continue
      history.last = { ...history.last, state: 'COMPLETED' }
      history.changes.push({ t, step: 'DONE', state: 'COMPLETED', attempts: 0 })
    }
    for (const row of rows) {
      this.seenUpTo = Math.max(this.seenUpTo, row.id)
      const history = this.histories.get(row.id)
      if (!history) this.histories.set(row.id, { last: row, changes: [{ t, step: row.step, state: row.state, attempts: row.attempts }] })
      else {
        if (!same(history.last, row)) history.changes.push({ t, step: row.step, state: row.state, attempts: row.attempts })
        history.last = row
      }
    }
    this.running.push({ t, count: rows.filter((row) => row.state === 'RUNNING').length })
    return rows
  }

  /** Failed attempts the polls saw recorded (increases of `attempts`): a lower bound of the retries. */
  failedAttemptsSeen(from = 0, to = Infinity): number {
    let total = 0
    for (const history of this.histories.values()) {
      let previous = 0
      for (const change of history.changes) {
        if (change.attempts > previous && change.t >= from && change.t <= to) total += change.attempts - previous
        previous = change.attempts
      }
    }
    return total
  }

  /** The first poll at or after `from` (drill ms) that saw the saga differ from `snapshot`. */
  movedAfter(snapshot: SagaRow, from: number): number | undefined {
    return this.histories
      .get(snapshot.id)
      ?.changes.find((c) => c.t >= from && (c.step !== snapshot.step || c.state !== snapshot.state || c.attempts !== snapshot.attempts))?.t
  }

  async stop(): Promise<void> {
    this.polling = false
    await this.loop
    this.loop = undefined
  }

  async close(): Promise<void> {
    await this.stop()
    await this.db.end()
  }
}
