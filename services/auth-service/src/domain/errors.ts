/**
 * What the Auth Service's rules refuse, free of HTTP: each error carries the
 * data its answer needs, and src/plugins/app/domain-errors.ts says which
 * status and message of the contract it is.
 */
import { DomainError } from '@soundline/platform'

export class UsernameTaken extends DomainError {
  constructor(readonly username: string) {
    super(`username '${username}' is taken`)
  }
}

/** An unknown user or a wrong password: one error, so that nothing tells them apart. */
export class InvalidCredentials extends DomainError {
  constructor() {
    super('invalid username or password')
  }
}

/** This address must wait before its next login attempt. */
export class TooManyLoginAttempts extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(`login attempts refused for ${retryAfterSeconds} s`)
  }
}

/** `reused`: the token was rotated already, so its whole session has been revoked. */
export class RefreshTokenRefused extends DomainError {
  constructor(readonly reason: 'invalid' | 'reused' | 'expired') {
    super(`refresh token refused: ${reason}`)
  }
}

/** Expired, tampered, signed by an unknown key, `alg: none`, ... */
export class AccessTokenRefused extends DomainError {
  constructor(readonly reason: 'invalid' | 'expired') {
    super(`access token refused: ${reason}`)
  }
}
