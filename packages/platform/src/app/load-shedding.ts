import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { httpErrors } from '../http/errors.js'

/** Seconds a shed client is told to wait: a few sample intervals, time for the backlog to drain. */
export const LOAD_SHED_RETRY_AFTER_SECONDS = 5

/** Samples in a row over the limit before requests are shed (about 3 s with the default 1 s samples). */
export const SUSTAINED_SAMPLES = 3

/** Routes that answer even under pressure: the liveness probe (a busy pod is not a dead one) and the metrics that show the pressure. */
const NEVER_SHED = new Set(['/health/live', '/metrics'])

export interface LoadSheddingOptions {
  /** Average event-loop delay above which requests get 503; 0 turns shedding off. */
  maxEventLoopDelayMs: number
  /** How often the delay is sampled (tests use a short one). */
  sampleIntervalMs?: number
}

/**
 * Sheds load instead of queueing it without bound (docs/api.md "Load
 * shedding"): while the event loop lags (its average delay over a sample is
 * above the limit, SUSTAINED_SAMPLES samples in a row), new requests get the
 * contract's 503 with Retry-After at once, so callers back off.
 */
export async function installLoadShedding(app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  if (options.maxEventLoopDelayMs <= 0) return
  app.addHook('onRoute', (route) => {
    if (!NEVER_SHED.has(route.url)) return
    // A route's own pressureHandler that returns nothing lets the request through.
    route.config = { ...(route.config as object), pressureHandler: () => undefined } as typeof route.config
  })
  const sampleIntervalMs = options.sampleIntervalMs ?? 1_000
  // One long pause (start-up migrations, a GC, PGlite in tests) is not load:
  // requests are shed only while several samples in a row lag.
  const recent: number[] = []
  await app.register(underPressure, {
    sampleInterval: sampleIntervalMs,
    healthCheckInterval: sampleIntervalMs,
    healthCheck: async (instance) => {
      recent.push(instance.memoryUsage().eventLoopDelay)
      if (recent.length > SUSTAINED_SAMPLES) recent.shift()
      return !(recent.length === SUSTAINED_SAMPLES && recent.every((delay) => delay > options.maxEventLoopDelayMs))
    },
    retryAfter: LOAD_SHED_RETRY_AFTER_SECONDS,
    // A rejected promise goes to the error handler: the contract's body and Retry-After.
    pressureHandler: (request) => {
      request.log.warn('event loop saturated: request shed')
      return Promise.reject(httpErrors.serviceUnavailable('Service is overloaded: try again later', LOAD_SHED_RETRY_AFTER_SECONDS))
    },
  })
}
