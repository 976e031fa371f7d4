import { CopyObjectCommand } from '@aws-sdk/client-s3'
import { newEvent, TOPICS, type ResourceProcessed } from '@soundline/contracts'
import { collectEvents, eventually, http, kafkaBrokers, makeMp3, publisherFor, waitUntilReady } from '@soundline/dev-stack/testing'
import { createHash } from 'node:crypto'
import pg from 'pg'
import t from 'tap'
import { objectKeys, startResourceService, startStack, upload } from './helpers.js'

kafkaBrokers()
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const stack = await startStack(t.teardown)
const { base, databaseUrl } = await startResourceService(stack, t.teardown)
await waitUntilReady(base)
const deletedEvents = await collectEvents([`${stack.topicPrefix}resource.deleted`], t.teardown)
const publisher = publisherFor(t.teardown)
const db = new pg.Client({ connectionString: databaseUrl })
await db.connect()
t.teardown(() => db.end())

interface Status {
  state: string
  storageId: number
  bucket: string
  key: string
  failureReason: string | null
}

async function statusOf(id: number): Promise<Status> {
  return (await http('GET', `${base}/resources/${id}/status`)).json as Status
}

async function processed(resourceId: number, status: 'OK' | 'FAILED', reason?: string): Promise<ResourceProcessed> {
  const event = newEvent<ResourceProcessed>(TOPICS.resourceProcessed, resourceId, { status, ...(reason ? { reason } : {}) })
  await publish(event)
  return event
}

async function publish(event: ResourceProcessed): Promise<void> {
  await publisher.publish(`${stack.topicPrefix}resource.processed`, [event])
}

async function applied(event: ResourceProcessed): Promise<void> {
  await eventually(
    async () => (await db.query('SELECT 1 FROM processed_events WHERE event_id = $1', [event.eventId])).rowCount === 1,
    `event ${event.eventId} applied`,
  )
}

async function newResource(seed: number): Promise<{ id: number; file: Buffer; stagingKey: string }> {
  const file = makeMp3({ seconds: 1, seed })
  const { id } = (await upload(base, file)).json as { id: number }
  return { id, file, stagingKey: (await statusOf(id)).key }
}

const permanentKeyFor = (stagingKey: string) => stagingKey.replace(/^staging\//, 'permanent/files/')

t.test('OK moves the file to PERMANENT; the same event twice, and a second OK, change nothing', async (t) => {
  const { id, file, stagingKey } = await newResource(1)
  const event = await processed(id, 'OK')
  const moved = await eventually(async () => {
    const status = await statusOf(id)
    return status.state === 'PERMANENT' ? status : undefined
  }, 'PERMANENT')
  t.match(moved, { state: 'PERMANENT', storageId: 4, bucket: stack.permanentBucket, key: permanentKeyFor(stagingKey), failureReason: null })
  await applied(event)
  // The staging copy goes after the commit (step 4 of domain/processing-results.ts): soon, not at once.
  t.ok(
    await eventually(async () => !(await objectKeys(stack.s3, stack.stagingBucket)).includes(stagingKey), 'staging object deleted'),
    'staging object deleted',
  )
  t.strictSame(await objectKeys(stack.s3, stack.permanentBucket), [moved.key])
  const download = await fetch(`${base}/resources/${id}`)
  t.equal(sha256(Buffer.from(await download.arrayBuffer())), sha256(file), 'served from PERMANENT, same bytes')

  await publish(event)
  const another = await processed(id, 'OK')
  await applied(another)
  t.match(await statusOf(id), { state: 'PERMANENT', bucket: stack.permanentBucket, key: moved.key })
  t.strictSame(await objectKeys(stack.s3, stack.permanentBucket), [moved.key], 'still one object')
  t.notOk((await objectKeys(stack.s3, stack.stagingBucket)).includes(stagingKey))
})

t.test('a crash after the copy, and one after the commit, still end with one PERMANENT object', async (t) => {
  // Crash after step 1 (copy): the copy exists, the row is STAGING.
  const copied = await newResource(2)
  const target = permanentKeyFor(copied.stagingKey)
  await stack.s3.send(
    new CopyObjectCommand({ Bucket: stack.permanentBucket, Key: target, CopySource: `${stack.stagingBucket}/${copied.stagingKey}` }),
  )
  await applied(await processed(copied.id, 'OK'))
  t.match(await statusOf(copied.id), { state: 'PERMANENT', key: target })

  // Crash after step 3 (commit): the row is PERMANENT, the staging object is still there; the event is redelivered.
  const committed = await newResource(3)
  const committedTarget = permanentKeyFor(committed.stagingKey)
  await stack.s3.send(
    new CopyObjectCommand({
      Bucket: stack.permanentBucket,
      Key: committedTarget,
      CopySource: `${stack.stagingBucket}/${committed.stagingKey}`,
    }),
  )
  const event = newEvent<ResourceProcessed>(TOPICS.resourceProcessed, committed.id, { status: 'OK' })
  await db.query(`UPDATE resources SET state = 'PERMANENT', storage_id = 4, bucket = $1, key = $2 WHERE id = $3`, [
    stack.permanentBucket,
    committedTarget,
    committed.id,
  ])
  await db.query('INSERT INTO processed_events (event_id) VALUES ($1)', [event.eventId])
  await publish(event)
  await eventually(
    async () => !(await objectKeys(stack.s3, stack.stagingBucket)).includes(committed.stagingKey),
    'staging object deleted on redelivery',
  )

  const staging = await objectKeys(stack.s3, stack.stagingBucket)
  t.notOk(staging.includes(copied.stagingKey) || staging.includes(committed.stagingKey), 'no staging objects left')
  const permanent = await objectKeys(stack.s3, stack.permanentBucket)
  t.ok(permanent.includes(target) && permanent.includes(committedTarget), 'both in PERMANENT')
})

t.test('FAILED keeps the file in staging and records the reason', async (t) => {
  const { id, stagingKey } = await newResource(4)
  await applied(await processed(id, 'FAILED', 'No ID3 tags: title is missing'))
  t.match(await statusOf(id), {
    state: 'FAILED',
    failureReason: 'No ID3 tags: title is missing',
    bucket: stack.stagingBucket,
    key: stagingKey,
  })
  t.ok((await objectKeys(stack.s3, stack.stagingBucket)).includes(stagingKey), 'file stays in staging')
  t.equal((await fetch(`${base}/resources/${id}`)).status, 200, 'still downloadable')
})

t.test('a late event for a deleted resource: a saga of its own removes the song the processor wrote meanwhile', async (t) => {
  const { id } = await newResource(5)
  t.strictSame((await http('DELETE', `${base}/resources?id=${id}`)).json, { ids: [id] })
  await eventually(async () => deletedEvents.some((m) => m.event.resourceId === id), 'resource.deleted')
  // The processor read the file before the DELETE and wrote its song after the saga removed songs.
  const song = { id, name: 'Late', artist: 'a', album: 'b', duration: '00:01', year: '2000' }
  t.equal((await http('POST', `${stack.songBase}/songs`, { json: song })).status, 200)
  await applied(await processed(id, 'OK'))
  await eventually(async () => (await http('GET', `${stack.songBase}/songs/${id}`)).status === 404, 'the late song removed')
  const completed = async () =>
    (await db.query(`SELECT 1 FROM deletion_sagas WHERE $1 = ANY(resource_ids) AND state = 'COMPLETED'`, [id])).rowCount === 2
  await eventually(completed, 'two sagas completed: the DELETE and the cleanup')
  t.pass('the DELETE and the cleanup completed')
  t.equal((await http('GET', `${base}/resources/${id}/status`)).status, 404)
})
