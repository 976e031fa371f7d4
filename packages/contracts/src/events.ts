import { InvalidEventError } from '@soundline/platform'
import { randomUUID } from 'node:crypto'
import { Type, type Static } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'

/**
 * The pipeline's events (docs/architecture.md, "Events"): JSON values with a common
 * envelope, keyed by resource id so one resource's events stay ordered. Each is a
 * TypeBox schema, its type derived from it and its check compiled from it. The
 * Kafka machinery that carries them is the platform's (EventPublisher, startEventConsumer).
 */

export const TOPICS = {
  resourceUploaded: 'resource.uploaded',
  resourceProcessed: 'resource.processed',
  resourceDeleted: 'resource.deleted',
} as const

export type Topic = (typeof TOPICS)[keyof typeof TOPICS]

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' })
const ResourceId = Type.Integer({ minimum: 1 })

/** The fields every event has, in the order they go on the wire. */
function envelope<T extends Topic>(type: T) {
  return { eventId: Uuid, type: Type.Literal(type), resourceId: ResourceId, occurredAt: Type.String({ description: 'ISO 8601' }) }
}

export const ResourceUploaded = Type.Object({
  ...envelope(TOPICS.resourceUploaded),
  size: Type.Integer({ minimum: 0 }),
  sha256: Type.String(),
})
export type ResourceUploaded = Static<typeof ResourceUploaded>

export const ResourceProcessed = Type.Object({
  ...envelope(TOPICS.resourceProcessed),
  status: Type.Union([Type.Literal('OK'), Type.Literal('FAILED')]),
  reason: Type.Optional(Type.String({ description: 'Why processing failed, in words the user reads in GET /resources/{id}/status' })),
})
export type ResourceProcessed = Static<typeof ResourceProcessed>

export const ResourceDeleted = Type.Object(envelope(TOPICS.resourceDeleted))
export type ResourceDeleted = Static<typeof ResourceDeleted>

export const PipelineEvent = Type.Union([ResourceUploaded, ResourceProcessed, ResourceDeleted])
export type PipelineEvent = Static<typeof PipelineEvent>

type DataOf<E extends PipelineEvent> = Omit<E, keyof ReturnType<typeof envelope>>

export function newEvent<E extends PipelineEvent>(type: E['type'], resourceId: number, data: DataOf<E>): E {
  return { eventId: randomUUID(), type, resourceId, occurredAt: new Date().toISOString(), ...data } as E
}

/** What any event must have before its type can be trusted to pick its schema. */
const Envelope = Compile(
  Type.Object({ eventId: Uuid, type: Type.Union(Object.values(TOPICS).map((topic) => Type.Literal(topic))), resourceId: ResourceId }),
)
const EVENTS: Record<Topic, Validator> = {
  [TOPICS.resourceUploaded]: Compile(ResourceUploaded),
  [TOPICS.resourceProcessed]: Compile(ResourceProcessed),
  [TOPICS.resourceDeleted]: Compile(ResourceDeleted),
}

/** A field's reason in the DLQ, in words an operator reads; other fields get the schema's own message. */
const REASONS: Partial<Record<string, (event: Record<string, unknown>) => string>> = {
  eventId: () => 'eventId is not a UUID',
  type: (event) => `unknown event type ${String(event.type)}`,
  resourceId: () => 'resourceId is not a positive integer',
  status: () => 'status must be OK or FAILED',
}

/** The fields a failed check complains about, first to last: a wrong value by its path, a missing one by its name. */
function failedFields(errors: { instancePath: string; params: unknown; message: string }[]): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const missing = (error.params as { requiredProperties?: string[] }).requiredProperties
    const fields = missing ?? [error.instancePath.split('/')[1] ?? '']
    return fields.map((field) => ({ field, message: error.message }))
  })
}

/** Parses and checks a message value; a message that fails is poison (InvalidEventError), not retryable. */
export function parseEvent(value: Buffer | string | null, expectedType?: Topic): PipelineEvent {
  if (value === null) throw new InvalidEventError('message has no value')
  let event: unknown
  try {
    event = JSON.parse(value.toString())
  } catch {
    throw new InvalidEventError('message value is not JSON')
  }
  if (typeof event !== 'object' || event === null) throw new InvalidEventError('message value is not an object')
  const candidate = event as Record<string, unknown>
  // The envelope's reasons in a fixed order, whatever order the checker reports them in.
  const envelopeFailures = new Set(failedFields(Envelope.Errors(candidate)).map((failure) => failure.field))
  const type = String(candidate.type)
  const reject = (field: string, message = 'is invalid'): never => {
    const reason = REASONS[field]
    throw new InvalidEventError(reason ? reason(candidate) : `${type}: ${field} ${message}`)
  }
  for (const field of ['eventId', 'type']) if (envelopeFailures.has(field)) reject(field)
  if (expectedType && type !== expectedType) throw new InvalidEventError(`expected ${expectedType}, got ${type}`)
  if (envelopeFailures.has('resourceId')) reject('resourceId')
  const schema = EVENTS[type as Topic]
  if (!schema.Check(candidate)) {
    const [first] = failedFields(schema.Errors(candidate))
    reject(first?.field ?? '', first?.message)
  }
  return candidate as PipelineEvent
}
