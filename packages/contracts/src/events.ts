import { InvalidEventError } from '@soundline/platform'
import { randomUUID } from 'node:crypto'

/**
 * The pipeline's events (docs/architecture.md, "Events"): JSON values with a common
 * envelope, keyed by resource id so one resource's events stay ordered. The
 * Kafka machinery that carries them is the platform's (EventPublisher, startEventConsumer).
 */

export const TOPICS = {
  resourceUploaded: 'resource.uploaded',
  resourceProcessed: 'resource.processed',
  resourceDeleted: 'resource.deleted',
} as const

export type Topic = (typeof TOPICS)[keyof typeof TOPICS]

interface Envelope<T extends Topic> {
  eventId: string
  type: T
  resourceId: number
  occurredAt: string
}

export interface ResourceUploaded extends Envelope<typeof TOPICS.resourceUploaded> {
  size: number
  sha256: string
}

export interface ResourceProcessed extends Envelope<typeof TOPICS.resourceProcessed> {
  status: 'OK' | 'FAILED'
  /** Why processing failed, in words the user reads in GET /resources/{id}/status. */
  reason?: string
}

export type ResourceDeleted = Envelope<typeof TOPICS.resourceDeleted>

export type PipelineEvent = ResourceUploaded | ResourceProcessed | ResourceDeleted

type DataOf<E extends PipelineEvent> = Omit<E, keyof Envelope<Topic>>

export function newEvent<E extends PipelineEvent>(type: E['type'], resourceId: number, data: DataOf<E>): E {
  return { eventId: randomUUID(), type, resourceId, occurredAt: new Date().toISOString(), ...data } as E
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Parses and checks a message value; a message that fails is poison (InvalidEventError), not retryable. */
export function parseEvent(value: Buffer | string | null, expectedType?: Topic): PipelineEvent {
  if (value === null) throw new InvalidEventError('message has no value')
  let event: unknown
  try {
    event = JSON.parse(value.toString())
  } catch {
    throw new InvalidEventError('message value is not JSON')
  }
  const candidate = event as Partial<PipelineEvent> | null
  if (typeof candidate !== 'object' || candidate === null) throw new InvalidEventError('message value is not an object')
  if (typeof candidate.eventId !== 'string' || !UUID.test(candidate.eventId)) throw new InvalidEventError('eventId is not a UUID')
  if (!Object.values(TOPICS).includes(candidate.type as Topic)) throw new InvalidEventError(`unknown event type ${String(candidate.type)}`)
  if (expectedType && candidate.type !== expectedType) throw new InvalidEventError(`expected ${expectedType}, got ${candidate.type}`)
  if (!Number.isInteger(candidate.resourceId) || (candidate.resourceId ?? 0) < 1)
    throw new InvalidEventError('resourceId is not a positive integer')
  if (candidate.type === TOPICS.resourceProcessed) {
    const processed = candidate as Partial<ResourceProcessed>
    if (processed.status !== 'OK' && processed.status !== 'FAILED') throw new InvalidEventError('status must be OK or FAILED')
  }
  return candidate as PipelineEvent
}
