/*
 * Kept hand-written rather than @fastify/reply-from (or @fastify/http-proxy,
 * built on it), whose 12.x lacks what this file needs:
 * - the breaker wraps each upstream call as one promise (Upstream.call) and
 *   counts a 5xx as a failure; reply-from has no such seam, only callbacks
 *   after it has acted;
 * - reply-from copies the upstream's status and headers onto the reply before
 *   its onResponse runs, so a 5xx or refused call could not be answered from
 *   the stale cache entry instead (docs/architecture.md, the response cache);
 * - the catalog's parts call upstreams outside any reply, so an undici client
 *   per upstream exists anyway: reply-from would be a second path and pool;
 * - its default retries repeat a GET up to 10 times on a 503, against a
 *   breaker that must see the upstream as down.
 * What it would bring (streaming both ways, hop-by-hop rules) is the little
 * code in forwarding.ts.
 */
import { UnexpectedAnswerError, UnexpectedBodyError } from '@soundline/contracts'
import { HttpError, type App, type ServiceCaller, type TrustedProxies } from '@soundline/platform'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Readable } from 'node:stream'
import type { Part } from '../../domain/catalog.js'
import type { CacheHit, ResponseCache } from '../../domain/response-cache.js'
import { cacheSlot, invalidatedGroups, isIdempotent, type CacheSlot, type UpstreamName } from '../../domain/routing.js'
import { copyResponseHeaders, hasBody, upstreamHeaders } from './forwarding.js'
import { callerOf, UpstreamServerError, type Upstream, type UpstreamCall, type UpstreamResponse } from './upstream-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    gatewayProxy: Proxy
  }
}

/** Cached answers larger than this are streamed instead. */
const MAX_CACHED_BYTES = 256 * 1024

/** An upstream failure that a stale cache entry may cover: down, open circuit, timeout, 5xx. */
const upstreamDown = (error: unknown): boolean =>
  error instanceof UpstreamServerError || (error instanceof HttpError && error.statusCode === 503)

/**
 * Forwards requests: bodies stream both ways (never buffered, whatever their
 * size); GET /songs/{id} and GET /storages go through the response cache,
 * with stale entries as the fallback while the upstream is down; writes
 * invalidate what they change.
 */
export class Proxy {
  constructor(
    private readonly upstreams: Record<UpstreamName, Upstream>,
    private readonly cache: ResponseCache,
    private readonly proxies: TrustedProxies,
  ) {}

  async forward(request: FastifyRequest, reply: FastifyReply, name: UpstreamName): Promise<FastifyReply> {
    const upstream = this.upstreams[name]
    const slot = cacheSlot(request.method, request.url)
    if (slot) return this.forwardCached(request, reply, upstream, slot)
    const call = this.callFor(request, reply)
    const retryable = isIdempotent(request.method) && call.body === undefined
    let response: UpstreamResponse
    try {
      response = await upstream.call(call, retryable)
    } catch (error) {
      if (error instanceof UpstreamServerError) return this.send(reply, error.response)
      throw error
    }
    await this.cache.invalidate(invalidatedGroups(request.method, request.url))
    return this.send(reply, response)
  }

  /**
   * A part of an aggregated answer, read by a contracts client through the
   * upstream (null: absent), and through the cache when `path` has a slot.
   */
  async part<T>(
    request: FastifyRequest,
    name: UpstreamName,
    path: string,
    read: (caller: ServiceCaller) => Promise<T | null>,
  ): Promise<Part<T>> {
    const slot = cacheSlot('GET', path)
    const hit = slot ? await this.cache.lookup(slot) : undefined
    if (hit?.fresh) return { kind: 'found', value: JSON.parse(hit.entry.body) as T }
    const upstream = this.upstreams[name]
    try {
      const value = await read(callerOf(upstream, upstreamHeaders(request, request.gatewayIdentity, this.proxies)))
      if (value === null) return { kind: 'absent' }
      if (slot) await this.cache.save(slot, { status: 200, contentType: 'application/json', body: JSON.stringify(value) })
      return { kind: 'found', value }
    } catch (error) {
      // Any other answer below 500 leaves nothing to show, as a 404 does.
      if (error instanceof UnexpectedAnswerError && error.status < 500) return { kind: 'absent' }
      // A 5xx, or a body its contract does not allow: the part's service is not working.
      const broken = error instanceof UnexpectedAnswerError || error instanceof UnexpectedBodyError
      if (!broken && !upstreamDown(error)) throw error
      if (hit) {
        upstream.guard.recordFallback()
        return { kind: 'found', value: JSON.parse(hit.entry.body) as T, stale: true }
      }
      return { kind: 'unavailable', retryAfterSeconds: Number((error as HttpError).headers?.['retry-after'] ?? 1) }
    }
  }

  private callFor(request: FastifyRequest, reply: FastifyReply): UpstreamCall {
    const controller = new AbortController()
    // The client went away before the answer was complete: stop the upstream call too.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort()
    })
    const body = hasBody(request) ? (request.body instanceof Readable ? request.body : request.raw) : undefined
    return {
      method: request.method,
      path: request.url,
      headers: upstreamHeaders(request, request.gatewayIdentity, this.proxies),
      ...(body ? { body } : {}),
      signal: controller.signal,
    }
  }

  private async forwardCached(request: FastifyRequest, reply: FastifyReply, upstream: Upstream, slot: CacheSlot): Promise<FastifyReply> {
    const hit = await this.cache.lookup(slot)
    if (hit?.fresh) return this.sendCached(reply, hit, 'HIT')
    let response: UpstreamResponse
    try {
      response = await upstream.call(this.callFor(request, reply), true)
    } catch (error) {
      if (hit && upstreamDown(error)) {
        if (error instanceof UpstreamServerError) await error.response.body.dump()
        upstream.guard.recordFallback()
        return this.sendCached(reply, hit, 'STALE')
      }
      if (error instanceof UpstreamServerError) return this.send(reply, error.response)
      throw error
    }
    const length = Number(response.headers['content-length'] ?? 0)
    const contentType = String(response.headers['content-type'] ?? '')
    if (response.statusCode === 200 && contentType.startsWith('application/json') && length <= MAX_CACHED_BYTES) {
      const body = await response.body.text()
      await this.cache.save(slot, { status: 200, contentType, body })
      copyResponseHeaders(reply, response.headers)
      return reply.code(200).header('x-cache', 'MISS').send(body)
    }
    // The thing is gone (or the request is wrong): nothing cached for it may be served again.
    if (response.statusCode === 404) await this.cache.invalidate([slot.group])
    reply.header('x-cache', 'MISS')
    return this.send(reply, response)
  }

  private sendCached(reply: FastifyReply, hit: CacheHit, state: 'HIT' | 'STALE'): FastifyReply {
    reply
      .code(hit.entry.status)
      .header('content-type', hit.entry.contentType)
      .header('x-cache', state)
      .header('age', String(hit.ageSeconds))
    if (state === 'STALE') reply.header('warning', '110 - "Response is Stale"')
    return reply.send(hit.entry.body)
  }

  private send(reply: FastifyReply, response: UpstreamResponse): FastifyReply {
    copyResponseHeaders(reply, response.headers)
    return reply.code(response.statusCode).send(response.body)
  }
}

/** Request bodies are not parsed: whatever the type, the raw stream goes to the upstream. */
export function passBodiesThrough(app: App): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
}

const PROXIED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/** The routes of one proxied prefix: the prefix itself and everything under it, every method. */
export function proxyRoutes(app: App, name: UpstreamName, tag: string): void {
  passBodiesThrough(app)
  // Documentation only (the upstream validates); typed loosely since swagger's schema keywords are not in FastifySchema here.
  const schema: Record<string, unknown> = { summary: `Proxied to the ${tag}`, tags: ['proxy'] }
  for (const url of ['', '/*']) {
    app.route({
      method: PROXIED_METHODS,
      url,
      schema,
      config: { gatewayUpstream: name },
      handler: (request, reply) => app.gatewayProxy.forward(request, reply, name),
    })
  }
}

export default fp(
  async (app) => {
    app.decorate('gatewayProxy', new Proxy(app.gatewayUpstreams, app.gatewayCache, app.gatewayTrustedProxies))
  },
  { name: 'proxy', dependencies: ['upstreams', 'response-cache', 'access'] },
)
