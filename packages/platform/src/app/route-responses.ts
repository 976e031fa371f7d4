import type { FastifyInstance, FastifySchema } from 'fastify'
import { BadRequestBody, ErrorBody } from '../schemas/common.js'

// Copies without the $id: one schema id may name only one schema.
const { $id: _id, ...errorBody } = ErrorBody as typeof ErrorBody & { $id?: string }
const UNEXPECTED = { ...errorBody, description: 'Unexpected failure: `Internal server error` (details in the log only)' }
const UNAVAILABLE = {
  ...errorBody,
  description:
    'Overloaded (`Service is overloaded: try again later`) or a dependency without fallback is down; `Retry-After` says when to come back',
}
const TOO_LARGE = { ...errorBody, description: 'Body over the limit' }
const UNSUPPORTED = { ...errorBody, description: '`Unsupported content type: <type>`: only application/json' }

/** Methods whose body Fastify parses, with or without a body schema: 413 and 415 can come from the parser. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Every route's OpenAPI lists every status it can answer (docs/api.md): the
 * answers that any route can give are added here, once, to each route that
 * does not declare them itself: 500 and 503 everywhere; 400 wherever there is
 * input to validate; 413 and 415 wherever a body is parsed (POST, PUT, PATCH,
 * DELETE: Fastify parses a DELETE body too).
 */
export function declareCommonResponses(app: FastifyInstance): void {
  app.addHook('onRoute', function (route) {
    const schema = route.schema as (FastifySchema & { hide?: boolean }) | undefined
    if (!schema || schema.hide) return
    const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) }
    const add = (status: number, body: unknown) => {
      if (!(status in response) && !(String(status) in response)) response[String(status)] = body
    }
    if (schema.body || schema.params || schema.querystring || schema.headers) add(400, BadRequestBody)
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (schema.body || methods.some((method) => BODY_METHODS.has(method))) {
      add(413, TOO_LARGE)
      // A context that takes every type as a stream (uploads) never answers 415.
      if (this.hasContentTypeParser('application/json') && !this.hasContentTypeParser('*')) add(415, UNSUPPORTED)
    }
    add(500, UNEXPECTED)
    add(503, UNAVAILABLE)
    route.schema = { ...schema, response }
  })
}
