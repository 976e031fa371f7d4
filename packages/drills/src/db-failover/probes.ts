// What the db-failover drill watches besides the uploads, ten times a second:
// who the primary is (Patroni), whether a write through the read-write
// endpoint is accepted (and, afterwards, whether every acknowledged one
// survived), and whether the Song Service still answers reads.
import type { PgHaCluster } from '@soundline/dev-stack/infra'
import pg from 'pg'

export const PROBE_DATABASE = 'drill'
const INTERVAL_MS = 100

export interface ProbeSample {
  /** performance.now() when the attempt started. */
  at: number
  ok: boolean
  error?: string
}

export interface FailoverProbes {
  writes: ProbeSample[]
  reads: ProbeSample[]
  /** performance.now() and name of each primary seen, in order (the first is the one killed). */
  leaders: { at: number; name: string }[]
  /** Sequence numbers whose INSERT was acknowledged. */
  acknowledged: number[]
  stop(): Promise<void>
  /** Acknowledged sequence numbers the current primary does not have. */
  lostWrites(): Promise<number[]>
}

async function timed(samples: ProbeSample[], attempt: () => Promise<unknown>): Promise<boolean> {
  const at = performance.now()
  try {
    await attempt()
    samples.push({ at, ok: true })
    return true
  } catch (error) {
    samples.push({ at, ok: false, error: (error as Error).message.slice(0, 120) })
    return false
  }
}

export async function prepareProbes(ha: PgHaCluster): Promise<void> {
  const client = new pg.Client({ connectionString: ha.writeUrl(PROBE_DATABASE) })
  await client.connect()
  await client.query('CREATE TABLE IF NOT EXISTS probe (seq integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())')
  await client.end()
}

/** Starts the probes; `songUrl` is a Song Service `GET /songs/{id}` of a song that exists. */
export function startProbes(ha: PgHaCluster, songUrl: string): FailoverProbes {
  // One connection, failing fast: the probe must see a refused write as soon as a service would.
  const pool = new pg.Pool({ connectionString: ha.writeUrl(PROBE_DATABASE), max: 1, connectionTimeoutMillis: 1_000, query_timeout: 2_000 })
  pool.on('error', () => undefined)
  const probes: FailoverProbes = {
    writes: [],
    reads: [],
    leaders: [],
    acknowledged: [],
    stop: async () => {
      running = false
      await Promise.all(loops)
      await pool.end()
    },
    lostWrites: async () => {
      const client = new pg.Client({ connectionString: ha.writeUrl(PROBE_DATABASE) })
      await client.connect()
      try {
        const rows = await client.query<{ seq: number }>('SELECT seq FROM probe WHERE seq = ANY($1::int[])', [probes.acknowledged])
        const present = new Set(rows.rows.map((row) => row.seq))
        return probes.acknowledged.filter((seq) => !present.has(seq))
      } finally {
        await client.end()
      }
    },
  }
  let running = true
  let seq = 0
  const every = async (step: () => Promise<void>): Promise<void> => {
    while (running) {
      const started = performance.now()
      await step()
      const wait = started + INTERVAL_MS - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
  const loops = [
    every(async () => {
      const mine = ++seq
      if (await timed(probes.writes, () => pool.query('INSERT INTO probe (seq) VALUES ($1)', [mine]))) probes.acknowledged.push(mine)
    }),
    every(async () => {
      await timed(probes.reads, async () => {
        const response = await fetch(songUrl, { signal: AbortSignal.timeout(2_000) })
        await response.body?.cancel()
        if (response.status !== 200) throw new Error(`GET /songs answered ${response.status}`)
      })
    }),
    every(async () => {
      const leader = (await ha.members()).find((member) => member.role === 'leader' && member.state === 'running')
      const last = probes.leaders.at(-1)
      if (leader && leader.name !== last?.name) probes.leaders.push({ at: performance.now(), name: leader.name })
    }),
  ]
  return probes
}

/** The first refused write at or after `from`, and the first accepted one after it: how long writes were refused. */
export function refusedWindow(samples: ProbeSample[], from: number): { from: number; to?: number } | undefined {
  const firstFailure = samples.find((s) => s.at >= from && !s.ok)
  if (!firstFailure) return undefined
  const recovered = samples.find((s) => s.at > firstFailure.at && s.ok)
  return { from: firstFailure.at, to: recovered?.at }
}
