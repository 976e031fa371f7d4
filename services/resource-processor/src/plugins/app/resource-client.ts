import { ResourceServiceClient } from '@soundline/contracts'
import { NO_RETRY, registerServiceClient, type ServiceCaller } from '@soundline/platform'
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

/** GET /resources/{id} of the Resource Service, through its contract client: null means deleted meanwhile. */
export function httpResourceSource(caller: ServiceCaller, idleTimeoutMs: number): ResourceSource {
  const resources = new ResourceServiceClient(caller)
  return {
    async download(resourceId) {
      // Any answer but the file or a 404 is the service's trouble, not the file's: it throws, and the event is retried later.
      const response = await resources.download(resourceId)
      if (!response) return null
      const length = Number(response.headers.get('content-length'))
      const download: ResourceDownload = { body: withIdleTimeout(response.stream(), idleTimeoutMs) }
      if (Number.isInteger(length) && length > 0) download.size = length
      return download
    },
  }
}

export default fp<{ config: ResourceProcessorConfig }>(
  async (app, { config }) => {
    // The breaker sees the request until the headers; a body that stalls fails the attempt, not the breaker.
    // No retry in place: a failed download is retried as a whole from the retry topic (the download is the event's first step).
    const client = registerServiceClient(app, {
      name: 'resource-service',
      baseUrl: config.RESOURCE_SERVICE_URL,
      deadlineMs: config.RESOURCE_SERVICE_TIMEOUT_MS,
      retry: NO_RETRY,
    })
    app.decorate('resourceSource', httpResourceSource(client, config.RESOURCE_SERVICE_TIMEOUT_MS))
  },
  { name: 'resource-client' },
)
