import { http } from '@soundline/dev-stack/testing'
import { ADMIN_PASSWORD, startGateway, startUpstreams, type Upstreams } from './upstreams.js'

export interface Tokens {
  accessToken: string
  refreshToken: string
}

/** A user's tokens, registered and logged in through the gateway's /auth route. */
export async function userTokens(gateway: string, username: string): Promise<Tokens> {
  await http('POST', `${gateway}/auth/register`, { json: { username, password: `${username}-password` } })
  const res = await http('POST', `${gateway}/auth/login`, { json: { username, password: `${username}-password` } })
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`)
  return res.json as Tokens
}

export async function adminTokens(gateway: string): Promise<Tokens> {
  const res = await http('POST', `${gateway}/auth/login`, { json: { username: 'admin', password: ADMIN_PASSWORD } })
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${res.text}`)
  return res.json as Tokens
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/**
 * Upstreams and a gateway in front of them, stopped by `teardown`, with alice
 * registered and the admin logged in (two logins of 127.0.0.1's login budget).
 */
export async function gatewayWithUsers(
  teardown: (stop: () => Promise<void>) => void,
  options: Parameters<typeof startUpstreams>[0] = {},
): Promise<{ upstreams: Upstreams; base: string; alice: Tokens; admin: Tokens }> {
  const upstreams = await startUpstreams(options)
  teardown(() => upstreams.stop())
  const gateway = await startGateway(upstreams)
  teardown(() => gateway.stop())
  const base = gateway.base
  return { upstreams, base, alice: await userTokens(base, 'alice'), admin: await adminTokens(base) }
}
