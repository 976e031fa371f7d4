import { freePort } from '../infra/ports.js'

/** An address where nothing listens: a dependency that is down (connection refused). */
export async function deadAddress(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`
}
