import { randomUUID } from 'node:crypto'
import { STATUS_CODES, maxHeaderSize, type ServerOptions } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { HttpServerSettings } from '../config/common.js'
import { HttpError, type SimpleErrorBody } from '../http/errors.js'
import { REQUEST_ID_HEADER } from './request-id.js'

/** Defaults of the HTTP_* settings, for apps built without a loaded config (tests, tools). */
export const DEFAULT_HTTP_SERVER_SETTINGS: HttpServerSettings = {
  HEADERS_TIMEOUT_MS: 10_000,
  REQUEST_TIMEOUT_MS: 900_000,
  REQUEST_IDLE_TIMEOUT_MS: 30_000,
  KEEP_ALIVE_TIMEOUT_MS: 72_000,
  LOAD_SHED_EVENT_LOOP_DELAY_MS: 1_000,
}

/**
 * No path parameter is cut by the router: the longest one fits in Node's
 * header limit (a longer request line is a 431), and every path parameter is
 * an id whose own rule answers 400 quoting it (docs/api.md "Ids").
 */
export const MAX_PARAM_LENGTH = maxHeaderSize

/**
 * Timeouts of the Node server under Fastify (docs/api.md "Slow, idle and
 * oversized requests"):
 * - headers: a client that trickles its headers (slowloris) is answered 408;
 * - idle (socket inactivity): an upload that stops sending is cut, however
 *   long it has been going, while a slow one that keeps sending is not;
 * - request: the whole request, long enough for the largest upload;
 * - keep-alive: idle connections between requests.
 */
export function serverTimeouts(settings: HttpServerSettings) {
  const requestTimeout = settings.REQUEST_TIMEOUT_MS
  // Node refuses a header timeout above the request timeout.
  const headersTimeout = requestTimeout > 0 ? Math.min(settings.HEADERS_TIMEOUT_MS, requestTimeout) : settings.HEADERS_TIMEOUT_MS
  const http: ServerOptions = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: settings.KEEP_ALIVE_TIMEOUT_MS,
    // Node checks header and request timeouts every 30 s by default: too coarse for a 10 s limit.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
  }
  return {
    http,
    connectionTimeout: settings.REQUEST_IDLE_TIMEOUT_MS,
    keepAliveTimeout: settings.KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout,
  }
}

interface ClientError extends Error {
  code?: string
}

/** What Node's HTTP parser refused, in the contract's words (docs/api.md "Requests Node refuses"). */
export function describeClientError(error: ClientError): HttpError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpError(431, `Request header fields are too large: the limit is ${maxHeaderSize} bytes for the request line and headers`)
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpError(408, 'Request timeout: the request did not arrive in time')
    case 'HPE_INVALID_METHOD':
      return new HttpError(501, 'Method not implemented')
    default:
      return new HttpError(400, 'Malformed HTTP request')
  }
}

/** The contract's error as raw HTTP on a socket that is then closed: for answers given outside Fastify. */
function writeRaw(socket: Socket, answer: HttpError, requestId: string): void {
  const body = JSON.stringify(answer.toBody() satisfies SimpleErrorBody)
  const headers = Object.entries(answer.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')
  socket.end(
    `HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode] ?? ''}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${REQUEST_ID_HEADER}: ${requestId}\r\n${headers}Connection: close\r\n\r\n${body}`,
  )
  // end() flushes the answer; the connection must not linger after it.
  socket.destroySoon()
}

/** Whether Fastify has started an answer on this socket (then nothing else may be written). */
function answerStarted(socket: Socket): boolean {
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
  return pending?.headersSent === true
}

/**
 * Node's parser rejects some requests before Fastify sees them (headers too
 * large, a malformed request line, an unknown method, a timeout): the answer
 * is still the contract's JSON, with a request id, and the connection closes.
 */
export function clientErrorHandler(this: FastifyInstance, error: ClientError, socket: Socket): void {
  // The client has gone: there is nobody to answer.
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || socket.destroyed) return
  const answer = describeClientError(error)
  const requestId = randomUUID()
  this.log.info({ requestId, code: error.code, statusCode: answer.statusCode }, 'request refused by the HTTP parser')
  if (!socket.writable || answerStarted(socket)) {
    socket.destroy()
    return
  }
  writeRaw(socket, answer, requestId)
}

/**
 * What Node does outside Fastify's routes, answered in the contract's form:
 * - a connection idle for REQUEST_IDLE_TIMEOUT_MS in the middle of a request
 *   (an upload that stopped sending) gets 408 and is closed; an idle
 *   keep-alive connection, or one whose answer is under way, is just closed;
 * - CONNECT (no route can take it; Node would drop the connection) gets 501.
 */
export function installServerEdges(app: FastifyInstance): void {
  app.server.on('timeout', (socket: Socket) => {
    const inRequest = (socket as Socket & { _httpMessage?: unknown })._httpMessage != null
    if (!inRequest || answerStarted(socket) || !socket.writable) {
      socket.destroy()
      return
    }
    const requestId = randomUUID()
    app.log.info({ requestId, statusCode: 408 }, 'connection idle in the middle of a request: closed')
    writeRaw(socket, new HttpError(408, 'Request timeout: nothing was received for too long'), requestId)
  })
  app.server.on('connect', (_request: unknown, socket: Socket) => {
    writeRaw(socket, new HttpError(501, 'Method not implemented'), randomUUID())
  })
}

/**
 * The router's own refusals (a URL that is not valid percent-encoding, a path
 * parameter over the router's limit), in the contract's form. They happen
 * before any route, so no hook runs: the answer is written here, whole.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? ''
  let answer: HttpError
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    answer = new HttpError(414, `URI is too long: a path segment may have at most ${MAX_PARAM_LENGTH} characters`)
  } else if (error.code === 'FST_ERR_BAD_URL') {
    answer = new HttpError(400, `Malformed URL: '${path}' is not valid percent-encoding`)
  } else {
    request.log.error({ err: error }, 'unexpected router error')
    answer = new HttpError(500, 'Internal server error')
  }
  const body = JSON.stringify(answer.toBody())
  reply.hijack()
  reply.raw.writeHead(answer.statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    [REQUEST_ID_HEADER]: request.id,
  })
  reply.raw.end(body)
}
