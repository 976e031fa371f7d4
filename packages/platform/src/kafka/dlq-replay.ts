import type { Kafka } from 'kafkajs'
import type { Logger } from '../logging/logger.js'
import { EventPublisher } from './publisher.js'
import { DLQ_HEADERS, originalHeaders } from './redelivery.js'

export interface ReplayOptions {
  kafka: Kafka
  /** The dead-letter topic, e.g. `resource.uploaded.dlq`. */
  topic: string
  /** Its committed offsets say what was replayed before; default `dlq-replay`. */
  groupId?: string
  logger: Logger
  /** Gives up on partitions that bring nothing new for this long (default 10 s). */
  idleMs?: number
}

export interface ReplayResult {
  replayed: number
  /** Messages republished per source topic. */
  bySource: Record<string, number>
}

const DEFAULT_GROUP = 'dlq-replay'

/**
 * Republishes what a dead-letter topic holds to each message's source topic
 * (header `dlq-source-topic`), without the retry and dead-letter headers, so
 * its consumers handle it afresh with the attempt count reset. Reads up to the
 * end the topic had at the start (messages that fail again and come back are
 * for the next replay), committing each offset after its message is
 * republished: a replay that stops half-way resumes where it stopped.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const { kafka, topic, logger } = options
  const groupId = options.groupId ?? DEFAULT_GROUP
  const ends = await remainingEnds(kafka, topic, groupId)
  const result: ReplayResult = { replayed: 0, bySource: {} }
  if (ends.size === 0) return result

  const publisher = new EventPublisher(kafka, 'dlq-replay')
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 })
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const idle = setTimeout(resolve, options.idleMs ?? 10_000).unref()
      // Joining a new group takes seconds: the idle clock starts when it has partitions.
      consumer.on(consumer.events.GROUP_JOIN, () => idle.refresh())
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = ends.get(partition)
            const offset = Number(message.offset)
            if (end === undefined || offset >= end) return
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]))
            const source = headers[DLQ_HEADERS.sourceTopic] ?? topic.replace(/\.dlq$/, '')
            await publisher.sendRaw(source, {
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? '',
              headers: originalHeaders(headers),
            })
            await consumer.commitOffsets([{ topic, partition, offset: String(offset + 1) }])
            result.replayed++
            result.bySource[source] = (result.bySource[source] ?? 0) + 1
            if (offset + 1 >= end) ends.delete(partition)
            idle.refresh()
            if (ends.size === 0) {
              clearTimeout(idle)
              resolve()
            }
          },
        })
        .catch(reject)
    })
    if (ends.size > 0) logger.warn({ topic, partitions: [...ends.keys()] }, 'some partitions did not reach their end; run the replay again')
  } finally {
    await consumer.disconnect()
    await publisher.close()
  }
  logger.info({ topic, groupId, ...result }, 'dead letters replayed')
  return result
}

/** Partition → end offset, for the partitions holding messages the group has not replayed yet. */
async function remainingEnds(kafka: Kafka, topic: string, groupId: string): Promise<Map<number, number>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
    const done = new Map(committed?.partitions.map(({ partition, offset }) => [partition, Number(offset)]) ?? [])
    const ends = new Map<number, number>()
    for (const { partition, high, low } of offsets) {
      const from = Math.max(Number(low), done.get(partition) ?? -1)
      if (from < Number(high)) ends.set(partition, Number(high))
    }
    return ends
  } finally {
    await admin.disconnect()
  }
}
