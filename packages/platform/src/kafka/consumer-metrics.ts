import type { Admin, Kafka } from 'kafkajs'
import { Counter, Gauge, type Registry } from 'prom-client'

/**
 * The pipeline's consumer-side metrics: dead letters and consumer lag, for the
 * Pipeline dashboard and the "dead letters present" / "lag growing" alerts.
 * One metric object per registry, shared by every consumer of the service.
 */
interface ConsumerMetricSet {
  deadLetters: Counter<'group' | 'topic'>
  lag: Gauge<'group' | 'topic' | 'partition'>
  sources: Map<string, LagSource>
  admins: Map<Kafka, Promise<Admin>>
}

interface LagSource {
  kafka: Kafka
  groupId: string
  topics: string[]
}

const perRegistry = new WeakMap<Registry, ConsumerMetricSet>()

/** Lag = log end offset minus the group's committed offset, read at scrape time. */
async function collectLag(admin: Admin, source: LagSource, lag: ConsumerMetricSet['lag']): Promise<void> {
  for (const topic of source.topics) {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: source.groupId, topics: [topic] }),
    ])
    const committedByPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
    for (const end of ends) {
      const done = committedByPartition.get(end.partition) ?? -1
      // -1: the group has committed nothing yet, so everything is still to do.
      const value = Math.max(0, Number(end.high) - Math.max(done, Number(end.low)))
      lag.set({ group: source.groupId, topic, partition: String(end.partition) }, value)
    }
  }
}

function metricSet(registry: Registry): ConsumerMetricSet {
  const existing = perRegistry.get(registry)
  if (existing) return existing
  const sources = new Map<string, LagSource>()
  const admins: ConsumerMetricSet['admins'] = new Map()
  const adminFor = (kafka: Kafka) => {
    let admin = admins.get(kafka)
    if (!admin) {
      const created = kafka.admin()
      admin = created.connect().then(() => created)
      admin.catch(() => admins.delete(kafka))
      admins.set(kafka, admin)
    }
    return admin
  }
  const set: ConsumerMetricSet = {
    sources,
    admins,
    deadLetters: new Counter({
      name: 'soundline_dead_letters_total',
      help: 'Messages sent to a dead-letter topic, by consumer group and source topic',
      labelNames: ['group', 'topic'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'kafka_consumer_lag',
      help: 'Messages not yet committed by the consumer group, per partition (read at scrape time)',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
      async collect() {
        for (const source of sources.values()) {
          try {
            await collectLag(await adminFor(source.kafka), source, this)
          } catch {
            // Broker away: keep the last values; the kafka health component says why.
          }
        }
      },
    }),
  }
  perRegistry.set(registry, set)
  return set
}

export interface ConsumerMetrics {
  deadLetter(topic: string): void
  /** Stops reporting this group's lag. */
  remove(): void
}

export function consumerMetrics(registry: Registry, source: LagSource): ConsumerMetrics {
  const set = metricSet(registry)
  set.sources.set(source.groupId, source)
  set.deadLetters.inc({ group: source.groupId, topic: source.topics[0] ?? '' }, 0)
  return {
    deadLetter: (topic) => set.deadLetters.inc({ group: source.groupId, topic }),
    remove: () => {
      set.sources.delete(source.groupId)
      // The last consumer on this client gone: close the admin connection, or it keeps the process alive.
      if ([...set.sources.values()].some((other) => other.kafka === source.kafka)) return
      const admin = set.admins.get(source.kafka)
      set.admins.delete(source.kafka)
      void admin?.then((connected) => connected.disconnect()).catch(() => undefined)
    },
  }
}
