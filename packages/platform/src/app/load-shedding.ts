import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { httpErrors } from '../http/errors.js'

/** Seconds a shed client is told to wait: a few sample intervals, time for the backlog to drain. */
export const LOAD_SHED_RETRY_AFTER_SECONDS = 5

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
 * shedding"): while the event loop lags, new requests get the contract's 503
 * with Retry-After at once, so callers back off and their breakers see it.
 */
export async function installLoadShedding(app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  if (options.maxEventLoopDelayMs <= 0) return
  app.addHook('onRoute', (route) => {
    if (!NEVER_SHED.has(route.url)) return
    // A route's own pressureHandler that returns nothing lets the request through.
    route.config = { ...(route.config as object), pressureHandler: () => undefined } as typeof route.config
  })
  const sampleIntervalMs = options.sampleIntervalMs ?? 1_000
  // Start-up blocks the loop (migrations, PGlite in tests) before anyone is
  // served: that lag is not load. Shedding starts two samples after listening.
  let armed = false
  app.addHook('onListen', async () => {
    setTimeout(() => (armed = true), 2 * sampleIntervalMs).unref()
  })
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    sampleInterval: sampleIntervalMs,
    retryAfter: LOAD_SHED_RETRY_AFTER_SECONDS,
    // Nothing returned lets the request through; a rejected promise goes to the
    // error handler: the contract's body and Retry-After.
    pressureHandler: (request) => {
      if (!armed) return undefined
      request.log.warn('event loop saturated: request shed')
      return Promise.reject(httpErrors.serviceUnavailable('Service is overloaded: try again later', LOAD_SHED_RETRY_AFTER_SECONDS))
    },
  })
}
