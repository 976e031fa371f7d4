// The Song Service adapter as the processor wires it (breaker + retries)
// against the real Song Service: its 400s are answers, never failures, so a
// flood of bad metadata cannot open the breaker; its absence does.
import { CircuitOpenError, GuardedServiceClient, ServiceClient, createBreaker, createLogger } from '@soundline/platform'
import { startService, startTestDatabase } from '@soundline/dev-stack/testing'
import { Registry } from 'prom-client'
import t from 'tap'
import { SONG_RETRY, httpSongStore } from '../src/plugins/app/song-client.js'

const logger = createLogger({ service: 'test', level: 'silent' })
const database = await startTestDatabase()
t.teardown(() => database.stop())
const songService = await startService('song-service', { DATABASE_URL: database.url })
const base = songService.url
t.teardown(() => songService.stop())

// The defaults a deployment gets (window 20, minimum 10, 50 %).
const breaker = createBreaker({ name: 'song-service', logger, registry: new Registry() })
t.teardown(() => breaker.dispose())
const songs = httpSongStore(
  new GuardedServiceClient(new ServiceClient({ name: 'song-service', baseUrl: base, timeoutMs: 10_000 }), breaker, SONG_RETRY),
)
const invalid = { name: 'x', artist: 'x', album: 'x', duration: '1:00', year: '1899' }

t.test('1,000 invalid songs: 400 each, the breaker stays closed', async (t) => {
  for (let i = 0; i < 1_000; i++) {
    const result = await songs.create(1_000 + i, invalid)
    if (result.accepted) t.fail('accepted')
  }
  t.equal(breaker.state, 'closed')
  t.match(breaker.snapshot(), { state: 'closed', failedCalls: 0, failureRate: 0, notPermittedCalls: 0 })
})

t.test('the Song Service gone: failures open the breaker, then calls are refused without retries', async (t) => {
  await songService.stop()
  for (let i = 0; i < 10 && breaker.state === 'closed'; i++) await t.rejects(songs.create(1, invalid))
  t.equal(breaker.state, 'open')
  const refused = breaker.snapshot().notPermittedCalls
  await t.rejects(songs.create(1, invalid), CircuitOpenError)
  await t.rejects(songs.create(2, invalid), CircuitOpenError)
  t.equal(breaker.snapshot().notPermittedCalls - refused, 2, 'one refusal per call: an open breaker is not retried')
})
