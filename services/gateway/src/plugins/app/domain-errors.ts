import { forbidden, httpErrors, unauthorized, type DomainErrorMapper } from '@soundline/platform'
import { CatalogEntryNotFound, CatalogUnavailable } from '../../domain/catalog.js'
import { RoleRequired, TokenRefused, TokensUnverifiable } from '../../domain/identity.js'

/** How long a client waits before retrying when tokens cannot be checked (the JWKS refresh has a cooldown). */
const JWKS_RETRY_AFTER_SECONDS = 5

/** The contract's status and message for each of the domain's errors. */
export const gatewayErrors: DomainErrorMapper = (error) => {
  if (error instanceof TokenRefused) return unauthorized(error.reason === 'expired' ? 'Token expired' : 'Invalid token')
  if (error instanceof TokensUnverifiable) {
    return httpErrors.serviceUnavailable('Cannot verify tokens: the Auth Service is unavailable', JWKS_RETRY_AFTER_SECONDS)
  }
  if (error instanceof RoleRequired) return forbidden(`Forbidden: the ${error.role} role is required`)
  if (error instanceof CatalogUnavailable) {
    return httpErrors.serviceUnavailable(
      `Catalog entry for ID=${error.id} is unavailable: song and resource services are down`,
      error.retryAfterSeconds,
    )
  }
  if (error instanceof CatalogEntryNotFound) return httpErrors.notFound(`Catalog entry for ID=${error.id} not found`)
  return undefined
}
