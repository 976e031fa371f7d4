// Graceful termination (docs/kubernetes.md, "Rolling updates without errors"): while a
// service drains it still answers, and every answer closes its connection so that
// keep-alive clients reconnect elsewhere before the server closes.
import net from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { createApp } from '@soundline/platform'
import { listenOnFreePort } from '@soundline/dev-stack/testing'

const logger = pino({ level: 'silent' })
const portOf = (base: string): number => Number(new URL(base).port)
const service = { name: 'drain-test', version: '0', description: 'drain' }

/** Sends raw HTTP/1.1 requests on one socket; resolves with each response's head. */
function rawRequests(port: number, count: number, between?: () => Promise<void>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const heads: string[] = []
    let buffer = ''
    let sent = 0
    const send = () => {
      sent += 1
      socket.write('GET /thing HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n')
    }
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const end = buffer.indexOf('\r\n\r\n')
      const length = Number(/content-length: (\d+)/i.exec(buffer)?.[1] ?? 0)
      if (end < 0 || buffer.length < end + 4 + length) return
      heads.push(buffer.slice(0, end).toLowerCase())
      buffer = buffer.slice(end + 4 + length)
      if (sent < count) void (between ? between().then(send) : Promise.resolve(send()))
    })
    socket.on('close', () => resolve(heads))
    socket.on('error', reject)
    send()
    setTimeout(() => socket.end(), 2000).unref()
  })
}

t.test('draining: answers keep coming, each closes its connection', async (t) => {
  const app = await createApp({ service, logger })
  app.get('/thing', async () => ({ ok: true }))
  const port = portOf(await listenOnFreePort(app))
  t.teardown(() => app.close())

  const before = await rawRequests(port, 2)
  t.equal(before.length, 2, 'two answers on one keep-alive connection before draining')
  t.notMatch(before[0] ?? '', /connection: close/)

  app.readiness.markDraining()
  const during = await rawRequests(port, 2)
  t.equal(during.length, 1, 'the connection is closed after the first answer while draining')
  t.match(during[0] ?? '', /^http\/1\.1 200/)
  t.match(during[0] ?? '', /connection: close/)
})
