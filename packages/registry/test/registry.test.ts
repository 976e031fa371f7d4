import { readFileSync } from 'node:fs'
import t from 'tap'
import {
  REGISTRY_FILE,
  SERVICES,
  devDatabaseUrl,
  parseRegistry,
  service,
  serviceEntry,
  serviceUrl,
  serviceUrlVariable,
  startWaves,
} from '../src/index.js'

const document = () => JSON.parse(readFileSync(REGISTRY_FILE, 'utf8')) as { services: Record<string, unknown>[] }

t.test('accessors', async (t) => {
  t.equal(service('song-service').port, 8082)
  t.equal(serviceUrl('song-service'), 'http://127.0.0.1:8082')
  t.equal(serviceUrl('song-service', 'song-service'), 'http://song-service:8082')
  t.equal(serviceUrlVariable('resource-processor'), 'RESOURCE_PROCESSOR_URL')
  t.equal(devDatabaseUrl('song-service'), 'postgres://postgres@127.0.0.1:5433/postgres')
  t.equal(serviceEntry('gateway'), 'services/gateway/dist/server.js')
  t.throws(() => service('sonng-service'), /unknown service sonng-service/)
  t.throws(() => devDatabaseUrl('gateway'), /gateway has no database/)
})

t.test('the registry is frozen', async (t) => {
  t.ok(Object.isFrozen(SERVICES))
  t.ok(Object.isFrozen(service('resource-service').upstreams))
  t.ok(Object.isFrozen(service('resource-service').database))
})

t.test('start waves follow the upstreams', async (t) => {
  t.same(startWaves(['resource-processor', 'resource-service', 'song-service', 'storage-service']), [
    ['song-service', 'storage-service'],
    ['resource-service'],
    ['resource-processor'],
  ])
  t.same(startWaves(['gateway', 'auth-service']), [['auth-service'], ['gateway']])
})

t.test('a wrong registry is refused, naming the problem', async (t) => {
  const broken = (change: (services: Record<string, unknown>[]) => void): unknown => {
    const copy = document()
    change(copy.services)
    return copy
  }
  t.same(
    parseRegistry(document()).map((s) => s.name),
    SERVICES.map((s) => s.name),
  )
  t.throws(() => parseRegistry(broken((s) => s.push({ ...s[0] }))), /service song-service appears twice/)
  t.throws(() => parseRegistry(broken((s) => Object.assign(s[1] ?? {}, { port: 8082 }))), /port 8082 appears twice/)
  t.throws(() => parseRegistry(broken((s) => Object.assign(s[1] ?? {}, { port: '8083' }))), /storage-service.port must be a TCP port/)
  t.throws(
    () => parseRegistry(broken((s) => Object.assign(s[0] ?? {}, { upstreams: ['nowhere'] }))),
    /calls nowhere, which is not a service/,
  )
  t.throws(() => parseRegistry(broken((s) => Object.assign(s[0] ?? {}, { upstreams: ['gateway'] }))), /listed after it/)
  t.throws(() => parseRegistry(broken((s) => delete s[0]?.s3)), /s3 must be true or false/)
})
