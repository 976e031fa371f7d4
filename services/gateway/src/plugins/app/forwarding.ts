import { nextTraceparent, type TrustedProxies } from '@soundline/platform'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import type { Identity } from '../../domain/identity.js'

/** Header rules of a proxy hop (RFC 9110 §7.6.1) and the gateway's own additions. */

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  // undici refuses it; the gateway reads the body anyway.
  'expect',
])

/** Identity headers are the gateway's to set: whatever a client sends under these names is dropped. */
const IDENTITY_HEADER = /^x-user-/

/**
 * Forwarding headers say who the client is; the gateway is the edge, so it
 * writes them itself and believes a peer's only when the peer is a trusted
 * proxy (TRUSTED_PROXIES). docs/security.md
 */
const FORWARDING_HEADER = /^(x-forwarded-|forwarded$|x-real-ip$)/

const NONE_LISTED: ReadonlySet<string> = new Set()

function connectionListed(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const connection = headers.connection
  // Most requests and answers name no header in Connection (or just keep-alive): no set to build.
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return NONE_LISTED
  return new Set(
    typeof connection === 'string'
      ? connection
          .toLowerCase()
          .split(',')
          .map((token) => token.trim())
      : [],
  )
}

/**
 * What the upstream receives: the client's headers minus hop-by-hop, identity
 * and (from an untrusted peer) forwarding ones, plus ids, trace, identity and
 * X-Forwarded-For whose right-most entry is the client's address.
 */
export function upstreamHeaders(
  request: FastifyRequest,
  identity: Identity | undefined,
  proxies: TrustedProxies,
): Record<string, string | string[]> {
  const listed = connectionListed(request.headers)
  const fromProxy = proxies.trusts(request.socket.remoteAddress ?? '')
  const headers: Record<string, string | string[]> = {}
  const incoming = request.headers
  for (const name in incoming) {
    const value = incoming[name]
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue
    // Both patterns start with x- or are "forwarded": a first-letter check spares most headers the regexes.
    if (
      (name.charCodeAt(0) === 120 || name === 'forwarded') &&
      (IDENTITY_HEADER.test(name) || (!fromProxy && FORWARDING_HEADER.test(name)))
    )
      continue
    headers[name] = value
  }
  headers['x-request-id'] = request.id
  headers.traceparent = nextTraceparent(request.headers.traceparent)
  headers['x-forwarded-for'] = proxies.forwardedChain(request.socket.remoteAddress, request.headers['x-forwarded-for']).join(', ')
  headers['x-forwarded-proto'] ??= 'http'
  if (request.headers.host) headers['x-forwarded-host'] ??= request.headers.host
  if (identity) {
    headers['x-user-id'] = identity.id
    headers['x-user-name'] = identity.username
    headers['x-user-roles'] = identity.roles.join(',')
  }
  return headers
}

/** Copies the upstream's response headers, minus hop-by-hop ones, onto the reply. */
export function copyResponseHeaders(reply: FastifyReply, headers: IncomingHttpHeaders): void {
  const listed = connectionListed(headers)
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || name === 'x-request-id') continue
    reply.header(name, value)
  }
}

/** True when the request carries a body (a length above zero, or chunked). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
