import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'

/** Serves the app on an ephemeral loopback port: tests talk HTTP over a real socket. */
export async function listenOnFreePort(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

export interface HttpResult {
  status: number
  headers: Headers
  text: string
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown
}

export interface HttpRequestOptions {
  json?: unknown
  body?: string | Uint8Array
  headers?: Record<string, string>
}

export async function http(method: string, url: string, options: HttpRequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers }
  let body: string | Uint8Array | undefined = options.body
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers['content-type'] ??= 'application/json'
  }
  const response = await fetch(url, { method, headers, body })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** The contract's body for a request its schema refused (docs/contract.md): each field with its reason. */
export const validationError = (details: Record<string, string>) => ({ errorMessage: 'Validation error', details, errorCode: '400' })
