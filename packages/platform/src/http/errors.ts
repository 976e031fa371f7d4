/**
 * The contract's error bodies and the exceptions that produce them.
 * The edge throws these (routes, adapters, the service's DomainErrorMapper for
 * the domain's own errors); the app's error handler renders them.
 */

export interface SimpleErrorBody {
  errorMessage: string
  errorCode: string
}

export interface ValidationErrorBodyShape extends SimpleErrorBody {
  details: Record<string, string>
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'HttpError'
  }

  toBody(): SimpleErrorBody {
    return { errorMessage: this.message, errorCode: String(this.statusCode) }
  }
}

export class ValidationError extends HttpError {
  constructor(readonly details: Record<string, string>) {
    super(400, 'Validation error')
    this.name = 'ValidationError'
  }

  override toBody(): ValidationErrorBodyShape {
    return { errorMessage: this.message, details: this.details, errorCode: '400' }
  }
}

export const httpErrors = {
  badRequest: (message: string) => new HttpError(400, message),
  notFound: (message: string) => new HttpError(404, message),
  conflict: (message: string) => new HttpError(409, message),
  payloadTooLarge: (message: string) => new HttpError(413, message),
  rangeNotSatisfiable: (message: string, size: number) => new HttpError(416, message, { 'content-range': `bytes */${size}` }),
  /** A dependency is down and has no fallback; Retry-After tells clients when to come back. */
  serviceUnavailable: (message: string, retryAfterSeconds: number) =>
    new HttpError(503, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) }),
}

/** 429 in the contract's form, with Retry-After. */
export function tooManyRequests(message: string, retryAfterSeconds: number): HttpError {
  return new HttpError(429, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) })
}
