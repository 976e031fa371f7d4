import type { PipelineEvent } from '@soundline/contracts'
import type { Logger } from '@soundline/platform'
import fp from 'fastify-plugin'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { OutboxRelay, type Outbox, type OutboxEntry } from '../../domain/outbox-relay.js'
import type { ResourceServiceConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    outboxRelay: OutboxRelay
  }
}

/** A relay that dies mid-batch loses its lease after this long; another replica then publishes the batch. */
const LEASE_SECONDS = 60

export function prismaOutbox(prisma: PrismaClient): Outbox {
  return {
    async claim(limit: number) {
      // One statement = one short transaction; SKIP LOCKED lets replicas claim disjoint batches.
      const rows = await prisma.$queryRaw<{ id: bigint; topic: string; payload: unknown }[]>`
        UPDATE "outbox" SET "claimed_until" = now() + make_interval(secs => ${LEASE_SECONDS}::int)
        WHERE "id" IN (
          SELECT "id" FROM "outbox"
          WHERE "claimed_until" IS NULL OR "claimed_until" < now()
          ORDER BY "id" LIMIT ${limit}::int
          FOR UPDATE SKIP LOCKED)
        RETURNING "id", "topic", "payload"`
      return rows.map((row): OutboxEntry => ({
        id: BigInt(row.id),
        topic: row.topic,
        event: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as PipelineEvent,
      }))
    },
    async remove(ids: bigint[]) {
      await prisma.outboxEvent.deleteMany({ where: { id: { in: ids } } })
    },
    async release(ids: bigint[]) {
      await prisma.outboxEvent.updateMany({ where: { id: { in: ids } }, data: { claimedUntil: null } })
    },
  }
}

/** Starts the relay with the service, stops it (after its current batch) on close. */
export default fp<{ config: ResourceServiceConfig }>(
  async (app, { config }) => {
    const relay = new OutboxRelay(
      prismaOutbox(app.prisma),
      app.eventPublisher,
      (app.log as unknown as Logger).child({ component: 'outbox-relay' }),
      {
        pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
      },
    )
    app.decorate('outboxRelay', relay)
    app.addHook('onReady', async () => relay.start())
    // preClose: stopped before the onClose hooks close the database and the publisher it uses.
    app.addHook('preClose', async () => relay.stop())
  },
  { name: 'outbox', dependencies: ['database', 'kafka'] },
)
