import type { FastifyInstance } from 'fastify'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * One registry per app instance (not prom-client's global one), so several
 * apps can live in one test process without "metric already registered".
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  return registry
}

const START_TIME = Symbol('metricsStartTime')
type TimedRequest = { [START_TIME]?: bigint }

/** HTTP request count and duration by route template, method and status. */
export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const labelNames = ['method', 'route', 'status_code'] as const
  const requests = new Counter({
    name: 'http_server_requests_total',
    help: 'HTTP requests served, by route template, method and status code',
    labelNames,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'HTTP request duration in seconds, by route template, method and status code',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })

  app.addHook('onRequest', async (request) => {
    ;(request as unknown as TimedRequest)[START_TIME] = process.hrtime.bigint()
  })
  app.addHook('onResponse', async (request, reply) => {
    const start = (request as unknown as TimedRequest)[START_TIME]
    // Unmatched URLs share one label so a scanner cannot explode cardinality.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) }
    requests.inc(labels)
    if (start !== undefined) duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9)
  })

  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
    const body = await registry.metrics()
    return reply.type(registry.contentType).send(body)
  })
}
