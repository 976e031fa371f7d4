/**
 * What the Kafka machinery needs of an event. The product's events, their
 * topics and their checks live in @soundline/contracts (docs/architecture.md,
 * "Events"); publisher and consumer work on any JSON event with this envelope.
 */
export interface EventEnvelope {
  eventId: string
  type: string
  /** The message key: one resource's events stay ordered on one partition. */
  resourceId: number
  occurredAt: string
}

/** Reads a message value; throws InvalidEventError when the message is poison (never retried). */
export type EventParser<E extends EventEnvelope> = (value: Buffer | string | null) => E

export class InvalidEventError extends Error {
  override name = 'InvalidEventError'
}

/** Per consumer group: where failed messages wait, and where they end when attempts run out. */
export const retryTopic = (topic: string): string => `${topic}.retry`
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`

export interface KafkaRecord {
  key: string
  value: string
  headers: Record<string, string>
}

/**
 * CloudEvents 1.0 in Kafka binary mode: the JSON value stays the envelope
 * (consumers that ignore headers still have everything), ce_* headers make it
 * a CloudEvent, traceparent carries the trace.
 */
export function toKafkaRecord(event: EventEnvelope, source: string, traceparent?: string): KafkaRecord {
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    ce_id: event.eventId,
    ce_type: event.type,
    ce_source: source,
    ce_time: event.occurredAt,
    ce_subject: String(event.resourceId),
    'content-type': 'application/json',
  }
  if (traceparent) headers.traceparent = traceparent
  return { key: String(event.resourceId), value: JSON.stringify(event), headers }
}
