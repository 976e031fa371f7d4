import { GuardedServiceClient, ServiceClient, createBreaker, registerBreakers, type ServiceCaller } from '@soundline/platform'
import fp from 'fastify-plugin'
import { Transform, pipeline, type Readable } from 'node:stream'
import type { ResourceProcessorConfig } from '../../config.js'
import type { ResourceDownload, ResourceSource } from '../../domain/resource-processor.js'

declare module 'fastify' {
  interface FastifyInstance {
    resourceSource: ResourceSource
  }
}

/** Passes the bytes through, failing the stream when none arrive for `idleMs`. */
function withIdleTimeout(body: Readable, idleMs: number): Readable {
  const guard = new Transform({
    transform(chunk, _encoding, callback) {
      timer.refresh()
      callback(null, chunk)
    },
  })
  const timer = setTimeout(() => guard.destroy(new Error(`resource-service sent no data for ${idleMs} ms`)), idleMs)
  const stop = () => clearTimeout(timer)
  // pipeline() destroys the source too when the guard is destroyed early.
  pipeline(body, guard, stop)
  guard.once('close', stop)
  return guard
}

/** GET /resources/{id} of the Resource Service: 404 means deleted meanwhile. */
export function httpResourceSource(client: ServiceCaller, idleTimeoutMs: number): ResourceSource {
  return {
    async download(resourceId) {
      const response = await client.request('GET', `/resources/${resourceId}`)
      if (response.status === 404) {
        await response.discard()
        return null
      }
      if (response.status !== 200) {
        await response.discard()
        // Anything else is the service's trouble, not the file's: retry later.
        throw new Error(`resource-service answered HTTP ${response.status} for resource ${resourceId}`)
      }
      const length = Number(response.headers.get('content-length'))
      const download: ResourceDownload = { body: withIdleTimeout(response.stream(), idleTimeoutMs) }
      if (Number.isInteger(length) && length > 0) download.size = length
      return download
    },
  }
}

const NO_RETRY = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxTotalMs: 0 }

export default fp<{ config: ResourceProcessorConfig }>(
  async (app, { config }) => {
    // The breaker sees the request until the headers; a body that stalls fails the attempt, not the breaker.
    const breaker = createBreaker({ name: 'resource-service', logger: app.log, registry: app.metrics })
    registerBreakers(app, [breaker])
    const client = new ServiceClient({
      name: 'resource-service',
      baseUrl: config.RESOURCE_SERVICE_URL,
      timeoutMs: config.RESOURCE_SERVICE_TIMEOUT_MS,
    })
    // No retry in place: a failed download is retried as a whole from the retry topic (the download is the event's first step).
    app.decorate(
      'resourceSource',
      httpResourceSource(new GuardedServiceClient(client, breaker, NO_RETRY), config.RESOURCE_SERVICE_TIMEOUT_MS),
    )
  },
  { name: 'resource-client' },
)
