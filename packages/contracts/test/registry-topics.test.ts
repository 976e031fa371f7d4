import { SERVICES } from '@soundline/registry'
import t from 'tap'
import { TOPICS } from '../src/events.js'

// The registry lists which service produces and consumes which topic; the names
// themselves are the contracts'. Both must name the same topics.
t.test("the registry's topics are the contracts'", async (t) => {
  const produced = new Set(SERVICES.flatMap((s) => s.produces))
  const consumed = new Set(SERVICES.flatMap((s) => s.consumes))
  const topics = Object.values(TOPICS).sort()
  t.same([...produced].sort(), topics, 'every topic is produced, and only those')
  t.same([...consumed].sort(), topics, 'every topic is consumed, and only those')
})
