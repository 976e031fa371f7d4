import { createServer, type AddressInfo } from 'node:net'

/** A loopback port that was free a moment ago: for a server a test stops and starts again on the same address. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** An address where nothing listens: a dependency that is down (connection refused). */
export async function deadAddress(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`
}
