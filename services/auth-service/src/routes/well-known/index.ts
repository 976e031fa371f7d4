import type { App } from '@soundline/platform'
import { Jwks } from '../../schemas/auth.js'

export const autoPrefix = '/.well-known'

export default async function wellKnownRoutes(app: App): Promise<void> {
  app.get('/jwks.json', {
    schema: {
      summary: 'Public keys that verify access tokens (JWKS)',
      tags: ['auth'],
      response: { 200: Jwks },
    },
    handler: async (_request, reply) => {
      // Short cache: verifiers also refetch when they meet an unknown kid.
      reply.header('cache-control', 'public, max-age=60')
      return { keys: await app.authKeys.publishedKeys() }
    },
  })
}
