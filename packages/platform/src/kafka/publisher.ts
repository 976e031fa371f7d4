import type { Kafka, Producer } from 'kafkajs'
import { toKafkaRecord, type EventEnvelope } from './event.js'
import { createProducer } from './client.js'

export interface RawRecord {
  key: string | null
  value: string
  headers: Record<string, string>
}

/** Publishes events as CloudEvents, acknowledged by all in-sync replicas. */
export class EventPublisher {
  private readonly producer: Producer
  private connected: Promise<void> | undefined

  constructor(
    kafka: Kafka,
    private readonly source: string,
  ) {
    // Not kafkajs' idempotent mode: it wants unlimited retries, and our callers
    // (the outbox relay) need a send to fail so they can back off. A duplicate
    // from a retried send is harmless: every consumer de-duplicates by eventId.
    this.producer = createProducer(kafka, { maxInFlightRequests: 1 })
  }

  private async connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined
      throw error
    })
    await this.connected
  }

  async publish(topic: string, events: EventEnvelope[], traceparent?: string): Promise<void> {
    if (events.length === 0) return
    await this.connect()
    await this.producer.send({ topic, acks: -1, messages: events.map((event) => toKafkaRecord(event, this.source, traceparent)) })
  }

  async sendRaw(topic: string, record: RawRecord): Promise<void> {
    await this.connect()
    await this.producer.send({ topic, acks: -1, messages: [record] })
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect()
  }
}
