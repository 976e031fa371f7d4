// Soundline's public API through the gateway on the local cluster (NodePort 30080).
import { createHash } from 'node:crypto'
import { makeMp3 } from '@soundline/dev-stack/testing'
import { NODE_IP, kubectl } from './kube.js'

export const GATEWAY = `http://${NODE_IP}:30080`

export interface SongTags {
  title: string
  artist: string
  album: string
  year: string
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** An admin token: the first admin's password is in the Secret the infra chart made. */
export async function adminToken(): Promise<string> {
  const password = Buffer.from(await kubectl('get', 'secret', 'auth-secrets', '-o', 'jsonpath={.data.admin-password}'), 'base64').toString()
  const res = await fetch(`${GATEWAY}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
    signal: AbortSignal.timeout(10_000),
  })
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { accessToken: string }).accessToken
}

export function songFor(index: number, run: string): { tags: SongTags; bytes: Buffer } {
  const tags = { title: `E2E ${run} #${index}`, artist: 'Soundline E2E', album: `Run ${run}`, year: '2026' }
  return { tags, bytes: makeMp3(tags) }
}

export class Api {
  constructor(private readonly token: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...extra }
  }

  async upload(bytes: Uint8Array, timeoutMs = 15_000): Promise<{ status: number; id?: number; body: string }> {
    const res = await fetch(`${GATEWAY}/resources`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'audio/mpeg' }),
      body: bytes,
      signal: AbortSignal.timeout(timeoutMs),
    })
    const body = await res.text()
    const id = res.status === 200 ? (JSON.parse(body) as { id: number }).id : undefined
    return { status: res.status, id, body }
  }

  async state(id: number): Promise<string | undefined> {
    const res = await fetch(`${GATEWAY}/resources/${id}/status`, { headers: this.headers(), signal: AbortSignal.timeout(10_000) })
    if (res.status !== 200) return undefined
    return ((await res.json()) as { state?: string; status?: string }).state ?? undefined
  }

  async song(id: number): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${GATEWAY}/songs/${id}`, { headers: this.headers(), signal: AbortSignal.timeout(10_000) })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  async download(id: number): Promise<{ status: number; bytes: Buffer }> {
    const res = await fetch(`${GATEWAY}/resources/${id}`, { headers: this.headers(), signal: AbortSignal.timeout(30_000) })
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) }
  }
}
