import type { FastifyInstance } from 'fastify'
import { createGuardedClient, type GuardedClientOptions, type GuardedServiceClient } from '../clients/guarded-client.js'
import type { HealthComponent } from '../health/readiness.js'
import type { Logger } from '../logging/logger.js'
import type { Breaker } from './breaker.js'

/**
 * The `circuits` readiness component: one entry per breaker. Not critical —
 * every breaker guards a call with a fallback — so an open or half-open
 * breaker makes the component, and the service, DEGRADED, never DOWN.
 */
export function circuitsComponent(breakers: Iterable<Breaker>): HealthComponent {
  return {
    name: 'circuits',
    critical: false,
    async check() {
      const details: Record<string, unknown> = {}
      let allClosed = true
      for (const breaker of breakers) {
        const snapshot = breaker.snapshot()
        details[breaker.name] = snapshot
        if (snapshot.state !== 'closed') allClosed = false
      }
      return { status: allClosed ? 'UP' : 'DEGRADED', details }
    },
  }
}

// One component per readiness, however many plugins register breakers. Keyed
// by identity only: the app's Readiness may come from this package's build.
const breakersOfReadiness = new WeakMap<object, Set<Breaker>>()

/**
 * Lists the breakers under `components.circuits` of GET /health/ready and
 * disposes them when the app closes. Call it from any plugin, any number of times.
 */
export function registerBreakers(app: FastifyInstance, breakers: Breaker[]): void {
  let registered = breakersOfReadiness.get(app.readiness)
  if (!registered) {
    registered = new Set()
    breakersOfReadiness.set(app.readiness, registered)
    app.readiness.register(circuitsComponent(registered))
  }
  for (const breaker of breakers) registered.add(breaker)
  app.addHook('onClose', async () => {
    for (const breaker of breakers) {
      breaker.dispose()
      registered.delete(breaker)
    }
  })
}

/**
 * A service's client of another service: createGuardedClient with the app's logger
 * and metrics, its breaker listed under GET /health/ready and disposed on close.
 */
export function registerServiceClient(
  app: FastifyInstance,
  options: Omit<GuardedClientOptions, 'logger' | 'registry'>,
): GuardedServiceClient {
  const client = createGuardedClient({ ...options, logger: app.log as unknown as Logger, registry: app.metrics })
  registerBreakers(app, [client.breaker])
  return client
}
