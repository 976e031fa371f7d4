import { ConfigError, env, loadConfig } from '../config/env.js'

/** How one breaker judges its dependency. Defaults and their reasons: docs/resilience.md. */
export interface BreakerSettings {
  /** `count`: the last `windowSize` calls; `time`: the calls of the last `windowSize` seconds. */
  windowType: 'count' | 'time'
  windowSize: number
  /** Calls the window must hold before its rates may open the breaker. */
  minimumCalls: number
  /** Failure rate (%) at or above which the breaker opens. */
  failureRateThreshold: number
  /** A call taking longer than this (ms) is slow, whatever its outcome. */
  slowCallDurationMs: number
  /** Slow-call rate (%) at or above which the breaker opens. */
  slowCallRateThreshold: number
  /** Time (ms) the breaker stays open before letting trial calls through. */
  openDurationMs: number
  /** Trial calls in half-open; their rates decide between closed and open. */
  halfOpenCalls: number
  /** The breaker's own deadline per call (ms), counted as a failure; 0 for none. */
  timeoutMs: number
}

export const DEFAULT_BREAKER_SETTINGS: Readonly<BreakerSettings> = Object.freeze({
  windowType: 'count',
  windowSize: 20,
  minimumCalls: 10,
  failureRateThreshold: 50,
  slowCallDurationMs: 2_000,
  slowCallRateThreshold: 80,
  openDurationMs: 10_000,
  halfOpenCalls: 3,
  timeoutMs: 10_000,
})

export const MAX_COUNT_WINDOW = 100_000
export const MAX_TIME_WINDOW_SECONDS = 3_600

/** `storage-service` → `BREAKER_STORAGE_SERVICE_`. */
export function breakerEnvPrefix(name: string): string {
  return `BREAKER_${name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')}_`
}

/**
 * The breaker's settings from `BREAKER_<NAME>_*` variables over `defaults`
 * (over DEFAULT_BREAKER_SETTINGS). A wrong value throws a ConfigError naming
 * every wrong variable and the form it expects.
 */
export function breakerSettingsFromEnv(
  name: string,
  options: { env?: NodeJS.ProcessEnv; defaults?: Partial<BreakerSettings> } = {},
): BreakerSettings {
  const d: BreakerSettings = { ...DEFAULT_BREAKER_SETTINGS, ...options.defaults }
  const p = breakerEnvPrefix(name)
  const config = loadConfig(
    {
      [`${p}WINDOW_TYPE`]: env.oneOf(['count', 'time'] as const, d.windowType),
      [`${p}WINDOW_SIZE`]: env.integer({ default: d.windowSize, min: 1, max: MAX_COUNT_WINDOW }),
      [`${p}MINIMUM_CALLS`]: env.integer({ default: d.minimumCalls, min: 1, max: MAX_COUNT_WINDOW }),
      [`${p}FAILURE_RATE`]: env.integer({ default: d.failureRateThreshold, min: 1, max: 100 }),
      [`${p}SLOW_CALL_MS`]: env.integer({ default: d.slowCallDurationMs, min: 1, max: 600_000 }),
      [`${p}SLOW_CALL_RATE`]: env.integer({ default: d.slowCallRateThreshold, min: 1, max: 100 }),
      [`${p}OPEN_MS`]: env.integer({ default: d.openDurationMs, min: 1, max: 3_600_000 }),
      [`${p}HALF_OPEN_CALLS`]: env.integer({ default: d.halfOpenCalls, min: 1, max: 1_000 }),
      [`${p}TIMEOUT_MS`]: env.integer({ default: d.timeoutMs, min: 0, max: 600_000 }),
    },
    options.env,
  )
  const settings: BreakerSettings = {
    windowType: config[`${p}WINDOW_TYPE`] as BreakerSettings['windowType'],
    windowSize: config[`${p}WINDOW_SIZE`] as number,
    minimumCalls: config[`${p}MINIMUM_CALLS`] as number,
    failureRateThreshold: config[`${p}FAILURE_RATE`] as number,
    slowCallDurationMs: config[`${p}SLOW_CALL_MS`] as number,
    slowCallRateThreshold: config[`${p}SLOW_CALL_RATE`] as number,
    openDurationMs: config[`${p}OPEN_MS`] as number,
    halfOpenCalls: config[`${p}HALF_OPEN_CALLS`] as number,
    timeoutMs: config[`${p}TIMEOUT_MS`] as number,
  }
  if (settings.windowType === 'time' && settings.windowSize > MAX_TIME_WINDOW_SECONDS) {
    throw new ConfigError([
      `${p}WINDOW_SIZE: must be an integer from 1 to ${MAX_TIME_WINDOW_SECONDS} (seconds) for a time window, got ${settings.windowSize}`,
    ])
  }
  return settings
}
