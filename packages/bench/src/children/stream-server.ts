// A stand-in upstream for large bodies: GET /resources/{id}?bytes=N streams N
// bytes, POST /resources drains the body and answers its size. Measures the
// gateway's memory during transfers, not this server's. GET /songs/{id}
// answers a constant song: the gateway's own cost, without a database behind it.
import { writeBytes } from '@soundline/dev-stack/testing'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exampleSong } from '../song.js'

const song = JSON.stringify(exampleSong(1))
const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://x')
  if (request.method === 'POST') {
    let size = 0
    request.on('data', (part: Buffer) => {
      size += part.length
    })
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1, size })))
    return
  }
  if (url.pathname.startsWith('/songs/')) {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(song)) }).end(song)
    return
  }
  const total = Number(url.searchParams.get('bytes') ?? 0)
  response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(total) })
  writeBytes(response, total)
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })))
process.once('SIGTERM', () => server.close(() => process.exit(0)))
