import type { ServerResponse } from 'node:http'

const CHUNK = Buffer.alloc(64 * 1024, 7)

/** Writes `total` filler bytes to a response with backpressure, then ends it: a large body without holding it in memory. */
export function writeBytes(response: ServerResponse, total: number): void {
  let sent = 0
  const pump = (): void => {
    while (sent < total) {
      const part = CHUNK.subarray(0, Math.min(CHUNK.length, total - sent))
      sent += part.length
      if (!response.write(part)) {
        response.once('drain', pump)
        return
      }
    }
    response.end()
  }
  pump()
}
