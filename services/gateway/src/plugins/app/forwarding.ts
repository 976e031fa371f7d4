import { nextTraceparent } from '@soundline/platform'
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

function connectionListed(headers: IncomingHttpHeaders): Set<string> {
  const connection = headers.connection
  return new Set(
    typeof connection === 'string'
      ? connection
          .toLowerCase()
          .split(',')
          .map((token) => token.trim())
      : [],
  )
}

/** What the upstream receives: the client's headers minus hop-by-hop and identity ones, plus ids, trace and identity. */
export function upstreamHeaders(request: FastifyRequest, identity: Identity | undefined): Record<string, string | string[]> {
  const listed = connectionListed(request.headers)
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || IDENTITY_HEADER.test(name) || listed.has(name)) continue
    headers[name] = value
  }
  headers['x-request-id'] = request.id
  headers.traceparent = nextTraceparent(request.headers.traceparent)
  const peer = request.socket.remoteAddress
  const forwarded = request.headers['x-forwarded-for']
  if (peer) headers['x-forwarded-for'] = forwarded ? `${String(forwarded)}, ${peer}` : peer
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
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || name === 'x-request-id') continue
    reply.header(name, value)
  }
}

/** True when the request carries a body (a length above zero, or chunked). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
