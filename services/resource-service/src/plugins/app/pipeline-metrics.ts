import { Gauge, Histogram, type Registry } from 'prom-client'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { Resource } from '../../domain/resource.js'

/**
 * What the Pipeline dashboard shows about resources: how many are in each
 * state, how many events wait in the outbox (both read from the database at
 * scrape time), and how long an upload takes to reach PERMANENT.
 */
export function pipelineMetrics(registry: Registry, prisma: PrismaClient) {
  new Gauge({
    name: 'soundline_resources',
    help: 'Resources by state (STAGING, PERMANENT, FAILED), read at scrape time',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await prisma.resource.groupBy({ by: ['state'], _count: { _all: true } })
      for (const state of ['STAGING', 'PERMANENT', 'FAILED']) {
        this.set({ state }, counts.find((row) => row.state === state)?._count._all ?? 0)
      }
    },
  })
  new Gauge({
    name: 'soundline_outbox_pending',
    help: 'Events committed with their rows but not yet published to Kafka',
    registers: [registry],
    async collect() {
      this.set(await prisma.outboxEvent.count())
    },
  })
  const timeToPermanent = new Histogram({
    name: 'soundline_resource_time_to_permanent_seconds',
    help: 'From the upload committing to the file being in PERMANENT storage',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  })
  return {
    movedToPermanent(resource: Resource): void {
      timeToPermanent.observe((Date.now() - resource.createdAt.getTime()) / 1000)
    },
  }
}
