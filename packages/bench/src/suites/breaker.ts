import { CountBreaker, circuitBreaker, handleAll } from 'cockatiel'
import CircuitBreaker from 'opossum'
import { Circuit, SlidingCountBreaker, circuits, modules, type Module } from 'mollitia'
import { Registry } from 'prom-client'
import { pino } from 'pino'
import { RingWindowBreaker, createBreaker, type BreakerSettings } from '@soundline/platform'
import { fixed, table } from '../report.js'
import type { Figures } from '../figures.js'

const WINDOWS = [10, 100, 1000] as const
const MAX_ITERATIONS = 200_000
/** Slow implementations get fewer calls, enough for about this long per round. */
const TARGET_MS = 1_500
/** Rounds go through every candidate in turn; the median damps a noisy neighbour. */
const ROUNDS = 3

type Run = () => Promise<unknown>

interface Candidate {
  implementation: string
  window: string
  run: Run
  samples: number[]
  iterations: number
}

const bare: Run = async () => 1

async function loop(run: Run, iterations: number): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) await run()
  return Number(process.hrtime.bigint() - start) / iterations
}

/** Calibrates on 1,000 calls, warms up, then times up to MAX_ITERATIONS sequential awaited calls. */
async function measureRound(candidate: Candidate): Promise<void> {
  const probeNs = await loop(candidate.run, 1_000)
  const iterations = Math.max(2_000, Math.min(MAX_ITERATIONS, Math.floor((TARGET_MS * 1e6) / probeNs)))
  await loop(candidate.run, Math.min(50_000, Math.ceil(iterations / 4)))
  candidate.samples.push(await loop(candidate.run, iterations))
  candidate.iterations = iterations
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

function mollitiaCircuit(module: Module): Circuit {
  return new Circuit({ func: bare, options: { modules: [module] } })
}

function disposeCircuit(circuit: Circuit): void {
  circuit.dispose()
  circuits.splice(circuits.indexOf(circuit), 1)
  for (const module of circuit.modules) if (modules.includes(module)) modules.splice(modules.indexOf(module), 1)
}

const settings = (overrides: Partial<BreakerSettings>): BreakerSettings => ({
  windowType: 'count',
  windowSize: 100,
  minimumCalls: 100,
  failureRateThreshold: 50,
  slowCallDurationMs: 2_000,
  slowCallRateThreshold: 80,
  openDurationMs: 10_000,
  halfOpenCalls: 3,
  timeoutMs: 0,
  ...overrides,
})

/**
 * Cost per call of a circuit breaker around an async function that resolves
 * at once, every call awaited in turn: the breaker's own overhead, against a
 * bare call in the same run. Every call succeeds, so no breaker opens.
 */
export async function benchBreaker(figures: Figures): Promise<string> {
  const candidates: Candidate[] = []
  const cleanups: (() => void)[] = []
  const add = (implementation: string, window: string, run: Run) =>
    candidates.push({ implementation, window, run, samples: [], iterations: 0 })

  add('bare async call', '-', bare)

  const registry = new Registry()
  const logger = pino({ level: 'silent' })
  for (const size of WINDOWS) {
    const breaker = createBreaker({ name: `bench-${size}`, logger, registry, settings: settings({ windowSize: size, minimumCalls: size }) })
    cleanups.push(() => breaker.dispose())
    add('createBreaker (count window, metrics)', String(size), () => breaker.execute(bare))
  }
  // The same breaker with its clock stubbed: what the two clock reads per call (the slow-call
  // rate and the duration histogram, which cockatiel does not keep) cost, shown beside cockatiel.
  const untimed = createBreaker({ name: 'bench-untimed', logger, registry, clock: () => 0, settings: settings({}) })
  cleanups.push(() => untimed.dispose())
  add('createBreaker, calls not timed (clock stubbed)', '100', () => untimed.execute(bare))
  const timed = createBreaker({ name: 'bench-deadline', logger, registry, settings: settings({ timeoutMs: 10_000 }) })
  cleanups.push(() => timed.dispose())
  add('createBreaker + 10 s deadline', '100', () => timed.execute(bare))
  const timeWindow = createBreaker({ name: 'bench-time', logger, registry, settings: settings({ windowType: 'time', windowSize: 60 }) })
  cleanups.push(() => timeWindow.dispose())
  add('createBreaker (time window, metrics)', '60 s', () => timeWindow.execute(bare))

  for (const size of WINDOWS) {
    const circuit = mollitiaCircuit(new RingWindowBreaker({ windowSize: size, minimumCalls: size }))
    cleanups.push(() => disposeCircuit(circuit))
    add('RingWindowBreaker in a plain mollitia Circuit', String(size), () => circuit.execute())
  }
  for (const size of WINDOWS) {
    const circuit = mollitiaCircuit(new SlidingCountBreaker({ slidingWindowSize: size, minimumNumberOfCalls: size }))
    cleanups.push(() => disposeCircuit(circuit))
    add('mollitia SlidingCountBreaker', String(size), () => circuit.execute())
  }
  for (const size of WINDOWS) {
    const policy = circuitBreaker(handleAll, {
      halfOpenAfter: 10_000,
      breaker: new CountBreaker({ threshold: 0.5, size, minimumNumberOfCalls: size }),
    })
    add('cockatiel CountBreaker (no call timing)', String(size), () => policy.execute(bare))
  }
  const opossum = new CircuitBreaker(bare, { errorThresholdPercentage: 50, resetTimeout: 10_000 })
  cleanups.push(() => opossum.shutdown())
  add('opossum (defaults: 10 s timeout)', '10 s', () => opossum.fire())

  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const candidate of candidates) await measureRound(candidate)
    }
  } finally {
    for (const cleanup of cleanups) cleanup()
  }

  const bareNs = median(candidates[0]?.samples ?? [1])
  const at100 = (implementation: string) =>
    median(candidates.find((candidate) => candidate.implementation.startsWith(implementation) && candidate.window === '100')?.samples ?? [])
  figures.set('breaker_vs_cockatiel_ratio_window100', at100('createBreaker (count window') / at100('cockatiel CountBreaker'))
  figures.set('breaker_untimed_vs_cockatiel_ratio_window100', at100('createBreaker, calls not timed') / at100('cockatiel CountBreaker'))
  return (
    table(
      ['implementation', 'window', 'ns/call', 'µs/call', 'overhead ns', 'ratio vs bare', 'calls/round'],
      candidates.map((candidate, index) => {
        const ns = median(candidate.samples)
        return [
          candidate.implementation,
          candidate.window,
          fixed(ns, 0),
          fixed(ns / 1000, 3),
          index === 0 ? '-' : fixed(ns - bareNs, 0),
          fixed(ns / bareNs, 1),
          candidate.iterations,
        ]
      }),
    ) +
    `\n\nmedian of ${ROUNDS} interleaved rounds; sequential awaited calls; ${MAX_ITERATIONS.toLocaleString('en')} calls per round at most, fewer for slow rows (about ${TARGET_MS / 1000} s each)`
  )
}
