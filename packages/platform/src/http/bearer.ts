import type { IncomingHttpHeaders } from 'node:http'
import { HttpError } from './errors.js'

/** Bearer tokens (RFC 6750): reading them and the errors that refuse them. */

/** The token of `Authorization: Bearer <token>`, or undefined when there is none. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization
  if (typeof header !== 'string') return undefined
  const match = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i.exec(header)
  return match?.[1]
}

/** 401 in the contract's form; WWW-Authenticate tells clients a bearer token is expected. */
export function unauthorized(message: string): HttpError {
  return new HttpError(401, message, { 'www-authenticate': 'Bearer realm="soundline", error="invalid_token"' })
}

export function forbidden(message: string): HttpError {
  return new HttpError(403, message)
}
