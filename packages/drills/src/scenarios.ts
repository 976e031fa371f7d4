// The five faults. Each knows how to break one part of the stack and how to
// heal it; what must hold meanwhile is in verdict.ts.
import { runDeleteSagaDrill } from './delete-saga/drill.js'
import type { DrillOptions, DrillResult } from './drill.js'
import type { DrillReport } from './report.js'
import type { DrillStack, ServiceName } from './stack.js'
import type { Criterion } from './verdict.js'

export type ScenarioName = 'storage-down' | 'storage-hang' | 'song-down' | 'kafka-restart' | 'processor-crash' | 'delete-saga'

/** Which breaker a scenario watches: the caller's /metrics target and the breaker name. */
export interface WatchedBreaker {
  target: 'resource' | 'processor'
  name: string
}

export interface Scenario {
  /** A ScenarioName, or a drill with its own runner (db-failover) that brings its own criteria. */
  name: ScenarioName | (string & {})
  summary: string
  /** Fault length for the CLI (the tests pass shorter ones). */
  defaultFaultSeconds: number
  breaker?: WatchedBreaker
  inject(stack: DrillStack): Promise<void>
  /** Starts the healing; resolves once the broken part answers again. */
  heal(stack: DrillStack): Promise<void>
  /** A drill of its own shape (several phases, its own verdict and chart) instead of drill.ts's; it uses inject/heal for its fault. */
  run?(stack: DrillStack, scenario: Scenario, options: DrillOptions, output: CustomDrillOutput): Promise<DrillReport>
  /** Criteria beyond the common ones, for a scenario verdict.ts does not know. */
  criteria?(result: DrillResult): Criterion[]
  /** Lines for the report's summary, after the common ones. */
  summaryLines?(result: DrillResult): string[]
}

export interface CustomDrillOutput {
  outDir: string
  stamp: string
  progress: (line: string) => void
}

function killed(service: ServiceName): Pick<Scenario, 'inject' | 'heal'> {
  return {
    inject: (stack) => stack.kill(service),
    heal: async (stack) => {
      await stack.startService(service)
      await stack.waitReady(service)
    },
  }
}

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  'storage-down': {
    name: 'storage-down',
    summary: 'Storage Service SIGKILLed, restarted after the fault',
    defaultFaultSeconds: 15,
    breaker: { target: 'resource', name: 'storage-service' },
    ...killed('storage-service'),
  },
  'storage-hang': {
    name: 'storage-hang',
    summary: 'Storage Service frozen with SIGSTOP (sockets open, no answers), then SIGCONT',
    defaultFaultSeconds: 15,
    breaker: { target: 'resource', name: 'storage-service' },
    inject: async (stack) => stack.pause('storage-service'),
    heal: async (stack) => stack.resume('storage-service'),
  },
  'song-down': {
    name: 'song-down',
    summary: 'Song Service SIGKILLed, restarted after the fault',
    defaultFaultSeconds: 60,
    breaker: { target: 'processor', name: 'song-service' },
    ...killed('song-service'),
  },
  'kafka-restart': {
    name: 'kafka-restart',
    summary: 'Kafka broker stopped (SIGTERM), started again on the same ports and data',
    defaultFaultSeconds: 10,
    inject: (stack) => stack.stopKafka(),
    heal: (stack) => stack.startKafka(),
  },
  'processor-crash': {
    name: 'processor-crash',
    summary: 'Resource Processor SIGKILLed mid-work, restarted after the fault',
    defaultFaultSeconds: 10,
    ...killed('resource-processor'),
  },
  'delete-saga': {
    name: 'delete-saga',
    summary: 'Deletions under upload load: Resource Service SIGKILLed mid-saga, then Song Service SIGKILLed for the fault',
    defaultFaultSeconds: 20,
    ...killed('song-service'),
    run: runDeleteSagaDrill,
  },
}

export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[]
