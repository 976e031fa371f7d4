import { InvalidEventError } from '@soundline/platform'
import t from 'tap'
import { newEvent, parseEvent, TOPICS, type ResourceProcessed, type ResourceUploaded } from '../src/events.js'

const uploaded = newEvent<ResourceUploaded>(TOPICS.resourceUploaded, 7, { size: 3, sha256: 'ab'.repeat(32) })
const processed = newEvent<ResourceProcessed>(TOPICS.resourceProcessed, 7, { status: 'FAILED', reason: 'Not an MP3' })
const json = (value: unknown) => JSON.stringify(value)

t.test('the envelope goes on the wire in its one order, and a valid event parses back to itself', async (t) => {
  t.same(Object.keys(uploaded), ['eventId', 'type', 'resourceId', 'occurredAt', 'size', 'sha256'])
  t.strictSame(parseEvent(Buffer.from(json(uploaded))), uploaded)
  t.strictSame(parseEvent(json(processed), TOPICS.resourceProcessed), processed)
  t.strictSame(parseEvent(json({ ...uploaded, addedLater: true })), { ...uploaded, addedLater: true }, 'unknown fields pass')
})

// Each poison message and the reason the dead-letter topic records for it.
const poison: [string, string | null, string, (typeof TOPICS)[keyof typeof TOPICS]?][] = [
  ['no value', null, 'message has no value'],
  ['not JSON', '{"eventId', 'message value is not JSON'],
  ['a string', json('resource.uploaded'), 'message value is not an object'],
  ['null', 'null', 'message value is not an object'],
  ['no eventId', json({ ...uploaded, eventId: undefined }), 'eventId is not a UUID'],
  ['a bad eventId, a bad type too', json({ ...uploaded, eventId: 'x', type: 'nope' }), 'eventId is not a UUID'],
  ['an unknown type', json({ ...uploaded, type: 'resource.renamed' }), 'unknown event type resource.renamed'],
  ['another type than the topic', json(uploaded), 'expected resource.processed, got resource.uploaded', TOPICS.resourceProcessed],
  ['resourceId 0', json({ ...uploaded, resourceId: 0 }), 'resourceId is not a positive integer'],
  ['resourceId as text', json({ ...uploaded, resourceId: '7' }), 'resourceId is not a positive integer'],
  ['resourceId a fraction', json({ ...uploaded, resourceId: 1.5 }), 'resourceId is not a positive integer'],
  ['a status of neither', json({ ...processed, status: 'DONE' }), 'status must be OK or FAILED'],
  ['no status', json({ ...processed, status: undefined }), 'status must be OK or FAILED'],
]

for (const [name, value, reason, expected] of poison) {
  t.test(`poison: ${name}`, async (t) => {
    t.throws(() => parseEvent(value, expected), new InvalidEventError(reason))
  })
}

t.test("a field of the event's own schema names itself", async (t) => {
  t.throws(() => parseEvent(json({ ...uploaded, size: -1 })), { name: 'InvalidEventError', message: /^resource\.uploaded: size / })
  t.throws(() => parseEvent(json({ ...uploaded, sha256: undefined })), {
    name: 'InvalidEventError',
    message: /^resource\.uploaded: sha256 /,
  })
})
