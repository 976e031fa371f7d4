import { httpErrors, tooManyRequests, unauthorized, type DomainErrorMapper } from '@soundline/platform'
import { AccessTokenRefused, InvalidCredentials, RefreshTokenRefused, TooManyLoginAttempts, UsernameTaken } from '../../domain/errors.js'

const REFRESH_REFUSED: Record<RefreshTokenRefused['reason'], string> = {
  invalid: 'Invalid refresh token',
  reused: 'Refresh token was already used: the session is revoked, log in again',
  expired: 'Refresh token expired',
}

/** The contract's status and message for each of the domain's errors. */
export const authServiceErrors: DomainErrorMapper = (error) => {
  if (error instanceof UsernameTaken) return httpErrors.conflict(`Username '${error.username}' is already taken`)
  // One answer for an unknown user and a wrong password: nothing tells them apart.
  if (error instanceof InvalidCredentials) return unauthorized('Invalid username or password')
  if (error instanceof TooManyLoginAttempts) {
    return tooManyRequests(`Too many login attempts: try again in ${error.retryAfterSeconds} seconds`, error.retryAfterSeconds)
  }
  if (error instanceof RefreshTokenRefused) return unauthorized(REFRESH_REFUSED[error.reason])
  if (error instanceof AccessTokenRefused) return unauthorized(error.reason === 'expired' ? 'Token expired' : 'Invalid token')
  return undefined
}
