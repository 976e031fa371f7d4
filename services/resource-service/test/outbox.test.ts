import { collectEvents, eventually, http, kafkaBrokers, makeMp3, waitUntilReady } from '@soundline/dev-stack/testing'
import { createServer } from 'node:net'
import t from 'tap'
import { countRows, startResourceService, startStack } from './helpers.js'

kafkaBrokers()

/** A port nothing listens on: a broker that is down. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const outboxSize = (databaseUrl: string) => countRows(databaseUrl, 'outbox')

const stack = await startStack(t.teardown)

t.test('with Kafka down uploads still succeed and their events wait in the outbox until Kafka is back', async (t) => {
  const down = await startResourceService(stack, t.teardown, { KAFKA_BROKERS: `127.0.0.1:${await deadPort()}` })
  const res = await http('POST', `${down.base}/resources`, { body: makeMp3({ seconds: 1 }), headers: { 'content-type': 'audio/mpeg' } })
  t.equal(res.status, 200, 'the upload does not need Kafka')
  t.strictSame(res.json, { id: 1 })
  const ready = await http('GET', `${down.base}/health/ready`)
  t.equal(ready.status, 503)
  t.match(ready.json, { status: 'DOWN', components: { kafka: { status: 'DOWN' }, db: { status: 'UP' } } })
  // Several relay attempts fail meanwhile; the event must survive all of them.
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  t.equal(await outboxSize(down.databaseUrl), 1, 'the event is kept')
  await down.app.close()

  // The same database, now with a reachable broker: the relay publishes what waited.
  const up = await startResourceService(stack, t.teardown, { DATABASE_URL: down.databaseUrl })
  await waitUntilReady(up.base) // it creates the topics
  const events = await collectEvents([`${stack.topicPrefix}resource.uploaded`], t.teardown)
  const message = await eventually(async () => events.find((m) => m.event.resourceId === 1), 'the waiting resource.uploaded')
  t.match(message.event, { type: 'resource.uploaded', resourceId: 1 })
  await eventually(async () => (await outboxSize(up.databaseUrl)) === 0, 'an empty outbox')
  t.equal(events.filter((m) => m.event.resourceId === 1).length, 1, 'published once')
})
