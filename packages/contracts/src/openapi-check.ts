import { isDeepStrictEqual } from 'node:util'
import type { TSchema } from 'typebox'
import type { Operation, Operations } from './operation.js'

/** The parts of an OpenAPI 3 document (a provider's /docs/json) that a contract test reads. */
export interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation | undefined> | undefined>
}

interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean; schema?: unknown }[]
  requestBody?: { content?: Record<string, { schema?: unknown }> }
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> } | undefined>
}

/** The keys that decide what a value may be; descriptions, examples and messages do not. */
const SHAPE_KEYS = [
  'type',
  'const',
  'enum',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'additionalProperties',
] as const

const NULL_SHAPE = { type: 'null' }

/** What values a schema allows, as a plain object two schemas can be compared by. */
function shape(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema
  const source = schema as Record<string, unknown>
  // OpenAPI 3.0 has no `null` type: the provider's document says `{ type: 'string', nullable: true }`
  // where the TypeBox schema says `anyOf: [{ type: 'string' }, { type: 'null' }]`. Both compare as the latter.
  if (source.nullable === true) {
    const { nullable: _nullable, ...nonNull } = source
    return { anyOf: [shape(nonNull), NULL_SHAPE] }
  }
  const result: Record<string, unknown> = {}
  for (const key of SHAPE_KEYS) if (source[key] !== undefined && typeof source[key] !== 'object') result[key] = source[key]
  if (Array.isArray(source.enum)) result.enum = [...(source.enum as unknown[])].sort()
  // OpenAPI 3.0 has no `const`: the document says `enum` of one value.
  if (result.const !== undefined) {
    result.enum = [result.const]
    delete result.const
  }
  if (source.properties && typeof source.properties === 'object') {
    result.properties = Object.fromEntries(
      Object.entries(source.properties as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => [name, shape(value)]),
    )
    result.required = [...((source.required as string[] | undefined) ?? [])].sort()
  }
  if (source.items !== undefined) result.items = shape(source.items)
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(source[key])) result[key] = nullLast((source[key] as unknown[]).map(shape))
  }
  return result
}

/** `null` as the last member, where the nullable form puts it. */
function nullLast(members: unknown[]): unknown[] {
  const isNull = (member: unknown): boolean => isDeepStrictEqual(member, NULL_SHAPE)
  return [...members.filter((member) => !isNull(member)), ...members.filter(isNull)]
}

function sameShape(ours: TSchema, theirs: unknown): boolean {
  return isDeepStrictEqual(shape(JSON.parse(JSON.stringify(ours))), shape(theirs))
}

/** Each parameter the operation sends (path or query) is documented there, with the same shape. */
function parameterMismatches(where: string, kind: 'path' | 'query', ours: TSchema | undefined, documented: OpenApiOperation): string[] {
  if (!ours) return []
  const properties = (ours as { properties?: Record<string, TSchema> }).properties ?? {}
  return Object.entries(properties).flatMap(([name, schema]) => {
    const parameter = documented.parameters?.find((p) => p.in === kind && p.name === name)
    if (!parameter) return [`${where}: no ${kind} parameter ${name}`]
    if (!sameShape(schema, parameter.schema)) return [`${where}: ${kind} parameter ${name} differs`]
    return []
  })
}

function mismatchesOf(name: string, operation: Operation, document: OpenApiDocument): string[] {
  const where = `${name} (${operation.method} ${operation.path})`
  const documented = document.paths?.[operation.path]?.[operation.method.toLowerCase()]
  if (!documented) return [`${where}: not in the provider's OpenAPI document`]
  const found = [
    ...parameterMismatches(where, 'path', operation.params, documented),
    ...parameterMismatches(where, 'query', operation.query, documented),
  ]
  const body = documented.requestBody?.content?.['application/json']?.schema
  if (operation.body && !body) found.push(`${where}: the provider takes no JSON body`)
  else if (operation.body && !sameShape(operation.body, body)) found.push(`${where}: the request body differs`)
  const answer = documented.responses?.[String(operation.success.status)]
  const { body: success, contentType } = operation.success
  if (!answer) found.push(`${where}: the provider documents no ${operation.success.status} answer`)
  else if (success && !sameShape(success, answer.content?.['application/json']?.schema))
    found.push(`${where}: the ${operation.success.status} answer's body differs`)
  else if (contentType && !answer.content?.[contentType])
    found.push(`${where}: the ${operation.success.status} answer is not ${contentType}`)
  return found
}

/**
 * What the provider's OpenAPI document says differently from a client's
 * operations: a missing path or method, a parameter, request body or success
 * answer of another shape. Empty when the client and the provider agree.
 */
export function operationMismatches(document: OpenApiDocument, operations: Operations): string[] {
  return Object.entries(operations).flatMap(([name, operation]) => mismatchesOf(name, operation, document))
}
