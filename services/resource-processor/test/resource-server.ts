// Stands in for the Resource Service in this service's tests: the processor
// only ever asks it for GET /resources/{id}. Real HTTP on an ephemeral port.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ResourceServer {
  base: string
  /** What GET /resources/{id} serves; any other id is 404 (deleted). */
  files: Map<number, Buffer>
  /** Ids answered 503 this many more times before their file is served. */
  failNext: Map<number, number>
  /** Every id asked for, in order. */
  requests: number[]
  close(): Promise<void>
}

export async function startResourceServer(): Promise<ResourceServer> {
  const files = new Map<number, Buffer>()
  const failNext = new Map<number, number>()
  const requests: number[] = []
  const server = createServer((request, response) => {
    const id = Number(/^\/resources\/(\d+)$/.exec(request.url ?? '')?.[1])
    requests.push(id)
    const failures = failNext.get(id) ?? 0
    const file = files.get(id)
    if (request.method !== 'GET' || !Number.isInteger(id)) {
      response.writeHead(400).end()
    } else if (failures > 0) {
      failNext.set(id, failures - 1)
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"errorMessage":"Service unavailable","errorCode":"503"}')
    } else if (file === undefined) {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end(`{"errorMessage":"Resource with ID=${id} not found","errorCode":"404"}`)
    } else {
      response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': file.length }).end(file)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`,
    files,
    failNext,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
