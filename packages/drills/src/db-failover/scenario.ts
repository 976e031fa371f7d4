// The db-failover fault: SIGKILL the postmaster of the Song database's primary
// and let Patroni promote the synchronous standby; nothing is healed by hand.
// What must hold beyond the common criteria is in `criteria` below.
import type { PgHaCluster } from '@soundline/dev-stack/infra'
import pg from 'pg'
import type { DrillResult } from '../drill.js'
import type { Scenario } from '../scenarios.js'
import { formatMs } from '../stats.js'
import { counterIncrease, type Criterion } from '../verdict.js'
import { refusedWindow, startProbes, type FailoverProbes } from './probes.js'

/** Patroni notices the dead postmaster within a loop (1 s) and the standby takes the lock at once; the rest is a busy machine's slack. */
export const PROMOTED_WITHIN_MS = 15_000
/** Writes come back once HAProxy sees the new primary (checks every 500 ms). */
export const WRITES_BACK_WITHIN_MS = 20_000
const RECOVERY_TIMEOUT_MS = 90_000
/** Probe samples before the kill, so the probes are seen working first. */
const BASELINE_MS = 1_000

interface FailoverState {
  /** performance.now() when inject() began: the drill clock's faultAt. */
  injectedAt?: number
  killed?: { node: string; pid: number; at: number }
  probes?: FailoverProbes
  newPrimary?: { name: string; at: number }
  syncBackAt?: number
  lost?: number[]
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A song that exists (written during the warm-up), for the read probe. */
async function someSongId(ha: PgHaCluster): Promise<number> {
  const client = new pg.Client({ connectionString: ha.writeUrl('song') })
  await client.connect()
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const { rows } = await client.query<{ id: number | null }>('SELECT min(id) AS id FROM songs')
      if (rows[0]?.id) return rows[0].id
      await sleep(200)
    }
    throw new Error('no song was recorded during the warm-up')
  } finally {
    await client.end()
  }
}

export function dbFailoverScenario(ha: PgHaCluster, songServiceUrl: () => string): Scenario {
  const state: FailoverState = {}
  const since = (at: number | undefined): string => (at === undefined || !state.killed ? 'never' : formatMs(at - state.killed.at))
  return {
    name: 'db-failover',
    summary: "Song database's primary PostgreSQL SIGKILLed (postmaster); Patroni promotes the synchronous standby",
    defaultFaultSeconds: 20,
    breaker: { target: 'processor', name: 'song-service' },
    async inject() {
      state.injectedAt = performance.now()
      const songId = await someSongId(ha)
      state.probes = startProbes(ha, `${songServiceUrl()}/songs/${songId}`)
      await sleep(BASELINE_MS)
      const at = performance.now()
      state.killed = { ...(await ha.killPrimaryPostmaster()), at }
    },
    async heal() {
      const { probes, killed } = state
      if (!probes || !killed) return
      const deadline = performance.now() + RECOVERY_TIMEOUT_MS
      while (performance.now() < deadline) {
        const leader = probes.leaders.find((l) => l.at > killed.at && l.name !== killed.node)
        const writing = probes.writes.some((w) => w.at > (leader?.at ?? Infinity) && w.ok)
        if (leader) state.newPrimary = leader
        if (leader && writing) break
        await sleep(100)
      }
      // The new primary names a synchronous standby before it acknowledges commits again; wait for it to be visible.
      await ha.waitHealthy({ syncStandbys: 1, replicas: 1, timeoutMs: Math.max(1_000, deadline - performance.now()) }).then(
        () => (state.syncBackAt = performance.now()),
        () => undefined,
      )
      await sleep(BASELINE_MS)
      await probes.stop()
      state.lost = await probes.lostWrites().catch(() => undefined)
    },
    criteria(): Criterion[] {
      const { probes, killed, newPrimary } = state
      if (!probes || !killed) return [{ name: 'the primary was killed', pass: false, actual: 'the fault was not injected' }]
      const promoted = newPrimary ? newPrimary.at - killed.at : undefined
      const refused = refusedWindow(probes.writes, killed.at)
      const refusedMs = refused ? (refused.to ?? performance.now()) - refused.from : 0
      const reads = probes.reads.filter((r) => r.at >= killed.at)
      const failedReads = reads.filter((r) => !r.ok)
      return [
        {
          name: `a replica is promoted automatically within ${formatMs(PROMOTED_WITHIN_MS)} of the kill`,
          pass: promoted !== undefined && promoted <= PROMOTED_WITHIN_MS,
          actual: newPrimary ? `${newPrimary.name} after ${formatMs(promoted)} (killed: ${killed.node})` : 'no new primary',
        },
        {
          name: `writes refused (fail fast) for at most ${formatMs(WRITES_BACK_WITHIN_MS)}`,
          pass: refused?.to !== undefined ? refusedMs <= WRITES_BACK_WITHIN_MS : refused === undefined,
          actual: refused
            ? `${formatMs(refusedMs)} (from ${since(refused.from)} to ${since(refused.to)} after the kill)`
            : 'no write refused',
        },
        {
          name: 'no acknowledged write lost (synchronous standby)',
          pass: state.lost !== undefined && state.lost.length === 0,
          actual:
            state.lost === undefined
              ? 'could not read the new primary'
              : `${probes.acknowledged.length} acknowledged, ${state.lost.length} missing on the new primary`,
        },
        {
          name: 'reads keep working from the replicas (GET /songs/{id})',
          pass: reads.length > 0 && failedReads.length === 0,
          actual: `${reads.length - failedReads.length}/${reads.length} answered 200${failedReads[0] ? ` (first failure: ${failedReads[0].error})` : ''}`,
        },
        {
          name: 'a synchronous standby again after the failover',
          pass: state.syncBackAt !== undefined,
          actual: `after ${since(state.syncBackAt)}`,
        },
      ]
    },
    summaryLines(result: DrillResult): string[] {
      const latencies = result.records.map((r) => r.latencyMs)
      const { killed, newPrimary, probes } = state
      const refused = probes && killed ? refusedWindow(probes.writes, killed.at) : undefined
      // The kill follows the first recorded song (the read probe's target), so it may come after the "fault" mark.
      const killClock = killed && state.injectedAt !== undefined ? result.faultAt + killed.at - state.injectedAt : undefined
      const window = [killClock ?? result.faultAt, result.backAt] as const
      const errors = counterIncrease(result.samples, 'processor', 'processor_errors_total', {}, ...window)
      const refusedCalls = counterIncrease(
        result.samples,
        'processor',
        'circuitbreaker_calls_total',
        { name: 'song-service', kind: 'failed' },
        ...window,
      )
      return [
        `killed ${killed?.node ?? '?'} (postmaster pid ${killed?.pid ?? '?'}) at ${formatMs(killClock)} on the drill clock; ` +
          `meanwhile the processor's Song Service calls that failed (503, retried): ${refusedCalls}, processing attempts failed and retried later: ${errors}`,
        `new primary ${newPrimary?.name ?? 'none'} after ${since(newPrimary?.at)}; ` +
          `writes refused for ${refused ? formatMs((refused.to ?? performance.now()) - refused.from) : '0 ms'}; ` +
          `synchronous standby back after ${since(state.syncBackAt)}; max upload latency ${formatMs(Math.max(0, ...latencies))}`,
      ]
    },
  }
}
