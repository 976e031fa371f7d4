import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { DomainError } from './domain-error.js'
import { HttpError, httpErrors, ValidationError, type SimpleErrorBody } from './errors.js'
import { detailsFromValidation } from './validation.js'

/**
 * Fastify's own client errors, in the words users see. Anything not listed
 * but carrying a 4xx status keeps Fastify's message; everything else is a 500
 * whose details stay in the log.
 */
const FASTIFY_CLIENT_ERRORS: Record<string, (error: FastifyError, request: FastifyRequest) => string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => 'Malformed JSON in request body',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => 'Request body is empty: a JSON object is required',
  FST_ERR_CTP_BODY_TOO_LARGE: (_error, request) => `Request body is too large: the limit is ${request.routeOptions.bodyLimit ?? 0} bytes`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_error, request) => `Unsupported content type: ${request.headers['content-type'] ?? '(none)'}`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => 'Content-Length does not match the request body',
}

const DATABASE_UNAVAILABLE = 'Database unavailable: try again later'
/** Patroni promotes a replica within a few seconds (docs/high-availability.md). */
const DATABASE_RETRY_AFTER_SECONDS = 1

/**
 * How a service's domain errors answer: the domain throws its own classes,
 * free of HTTP, and the service names their status and message here, at the
 * edge, once. Undefined for an error it does not know (a 500 then).
 */
export type DomainErrorMapper = (error: DomainError) => HttpError | undefined

function toHttpError(error: FastifyError, request: FastifyRequest): HttpError {
  if (error instanceof HttpError) return error
  if (error.validation) return fromValidation(error, request)
  const describe = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined
  if (describe) return new HttpError(error.statusCode ?? 400, describe(error, request))
  // SyntaxError from a parser that did not set a code (older plugins): a client error.
  if (error instanceof SyntaxError) return new HttpError(400, 'Malformed JSON in request body')
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) return new HttpError(status, error.message)
  // A failover or restart in progress: retriable, unlike a bug (docs/high-availability.md).
  if (isDatabaseUnavailable(error)) return httpErrors.serviceUnavailable(DATABASE_UNAVAILABLE, DATABASE_RETRY_AFTER_SECONDS)
  return new HttpError(500, 'Internal server error')
}

function fromValidation(error: FastifyError, request: FastifyRequest): HttpError {
  const context = error.validationContext
  if (context === 'params') {
    // Every path parameter in this system is an id; the contract quotes it raw.
    const raw = Object.values((request.params ?? {}) as Record<string, string>)[0] ?? ''
    return new HttpError(400, `Invalid value '${raw}' for ID. Must be a positive integer`)
  }
  const schema = context ? request.routeOptions.schema?.[context] : undefined
  const details = detailsFromValidation(error.validation ?? [], schema)
  if (details) return new ValidationError(details)
  if (context === 'body') return new HttpError(400, 'Request body must be a JSON object')
  return new HttpError(400, error.message)
}

/**
 * Error bodies are serialised here, not by the route's response schema: their
 * shape is the platform's, the same for every route, and a 400 can take either form.
 */
export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  return reply.code(error.statusCode).headers(error.headers).type('application/json').send(JSON.stringify(error.toBody()))
}

export function installErrorHandling(app: FastifyInstance, domainErrors: DomainErrorMapper = () => undefined): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = error instanceof DomainError ? domainErrors(error) : undefined
    const httpError = mapped ?? toHttpError(error, request)
    if (httpError.statusCode === 500 && !(error instanceof HttpError) && !mapped) {
      request.log.error({ err: error }, 'unexpected error')
    } else if (httpError.statusCode >= 500) {
      request.log.warn({ err: error }, httpError.message)
    }
    return sendError(reply, httpError)
  })

  app.setNotFoundHandler((request, reply) => {
    const body: SimpleErrorBody = { errorMessage: `Route ${request.method} ${request.url.split('?')[0]} not found`, errorCode: '404' }
    return reply.code(404).type('application/json').send(JSON.stringify(body))
  })

  // Fastify appends "; charset=utf-8" to JSON; the contract wants the bare type.
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type')
    if (typeof type === 'string' && type.startsWith('application/json')) {
      reply.header('content-type', 'application/json')
    }
    return payload
  })
}
