import autocannon from 'autocannon'

export interface LoadResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
  non2xx: number
}

export interface LoadOptions {
  url: string
  method?: 'GET' | 'POST'
  connections?: number
  durationSeconds: number
  /** Builds each request's body; called once per request (unique ids for POST). */
  body?: () => string
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>
}

/** A fixed-duration load at N connections, measured by autocannon. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const makeBody = options.body
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    connections: options.connections ?? 50,
    duration: options.durationSeconds,
    headers: { 'content-type': 'application/json', ...options.headers },
    requests: makeBody ? [{ setupRequest: (request) => ({ ...request, body: makeBody() }) }] : undefined,
  })
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }
}
