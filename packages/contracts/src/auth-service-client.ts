import type { ServiceCaller } from '@soundline/platform'
import { Jwks } from './auth.js'
import { OperationClient, type Operations } from './operation.js'

/** What the Auth Service's callers (the gateway's token check) use of it. */
export const AUTH_SERVICE_OPERATIONS = {
  jwks: { method: 'GET', path: '/.well-known/jwks.json', success: { status: 200, body: Jwks }, idempotent: true },
} as const satisfies Operations

export class AuthServiceClient extends OperationClient {
  static readonly operations = AUTH_SERVICE_OPERATIONS

  constructor(caller: ServiceCaller) {
    super(caller, 'auth-service')
  }

  /** The keys that verify access tokens; anything but the contract's 200 throws. */
  async jwks(): Promise<Jwks> {
    const op = AUTH_SERVICE_OPERATIONS.jwks
    return this.expect<Jwks>(op, await this.call(op), 'GET /.well-known/jwks.json')
  }
}
