import type { ServiceCaller, ServiceResponse } from '@soundline/platform'
import type { TObject, TSchema } from 'typebox'
import { Value } from 'typebox/value'

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

/**
 * One operation of a provider's API, as data: the client calls it, and the
 * provider's contract test finds it in the provider's OpenAPI document
 * (docs/architecture.md "Contracts"), so neither can change alone.
 */
export interface Operation {
  method: Method
  /** OpenAPI's template, e.g. `/songs/{id}`. */
  path: string
  params?: TObject
  query?: TObject
  /** A JSON body. */
  body?: TSchema
  /** The answer that means success: its status and either its JSON schema or its content type (a file). */
  success: { status: number; body?: TSchema; contentType?: string }
  /** Safe to repeat: retried within the call's deadline. */
  idempotent: boolean
}

export type Operations = Record<string, Operation>

type Values = Record<string, string | number | undefined>

/** The path with its parameters filled in and the query appended (commas stay readable: `?id=1,2`). */
export function pathOf(operation: Operation, params: Values = {}, query: Values = {}): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined) throw new Error(`${operation.method} ${operation.path}: parameter ${name} is missing`)
    return encodeURIComponent(String(value))
  })
  const pairs = Object.entries(query)
    .filter((pair): pair is [string, string | number] => pair[1] !== undefined)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value)).replace(/%2C/g, ',')}`)
  return pairs.length > 0 ? `${path}?${pairs.join('&')}` : path
}

/** An answer the operation does not allow for; a 5xx one is the provider's trouble and worth a retry later. */
export class UnexpectedAnswerError extends Error {
  override name = 'UnexpectedAnswerError'
  constructor(
    readonly service: string,
    readonly status: number,
    what: string,
  ) {
    super(`${service} answered HTTP ${status} to ${what}`)
  }
}

/** A success answer whose body the operation's schema does not allow: the provider broke the contract. */
export class UnexpectedBodyError extends Error {
  override name = 'UnexpectedBodyError'
}

/** The base of every provider client: calls an operation through the caller (a GuardedServiceClient). */
export abstract class OperationClient {
  constructor(
    protected readonly caller: ServiceCaller,
    /** For errors, e.g. "song-service". */
    readonly service: string,
  ) {}

  protected call(operation: Operation, input: { params?: Values; query?: Values; body?: unknown } = {}): Promise<ServiceResponse> {
    return this.caller.request(
      operation.method,
      pathOf(operation, input.params, input.query),
      input.body === undefined ? {} : { json: input.body },
      { idempotent: operation.idempotent },
    )
  }

  /** The success answer's JSON, or null for a 404 (the thing does not exist); anything else as expect(). */
  protected async expectOrAbsent<T>(operation: Operation, response: ServiceResponse, what: string): Promise<T | null> {
    if (response.status === 404) {
      await response.discard()
      return null
    }
    return this.expect<T>(operation, response, what)
  }

  /** The success answer's JSON, checked against the operation's schema; anything else throws. */
  protected async expect<T>(operation: Operation, response: ServiceResponse, what: string): Promise<T> {
    if (response.status !== operation.success.status) {
      await response.discard()
      throw new UnexpectedAnswerError(this.service, response.status, what)
    }
    const value = await response.json<unknown>()
    const schema = operation.success.body
    if (schema && !Value.Check(schema, value)) {
      const [first] = Value.Errors(schema, value)
      throw new UnexpectedBodyError(
        `${this.service} answered ${what} with a body its contract does not allow: ${first?.instancePath || '/'} ${first?.message ?? ''}`,
      )
    }
    return value as T
  }
}
