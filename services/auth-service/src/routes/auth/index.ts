import { BadRequestBody, bearerToken, ErrorBody, forbidden, unauthorized, type App } from '@soundline/platform'
import type { FastifyRequest } from 'fastify'
import { rolesOf, type AccessClaims } from '../../domain/tokens.js'
import { Account, Credentials, RefreshRequest, Registration, RotatedKey, TokenPair } from '../../schemas/auth.js'

export default async function authRoutes(app: App): Promise<void> {
  async function caller(request: FastifyRequest): Promise<AccessClaims> {
    const token = bearerToken(request.headers)
    // Same words as the gateway: a header that is there but holds no bearer token is an invalid token.
    if (!token) throw unauthorized(request.headers.authorization === undefined ? 'Missing bearer token' : 'Invalid token')
    return app.authTokens.verify(token)
  }

  app.post('/register', {
    schema: {
      summary: 'Create a user account (role user)',
      tags: ['auth'],
      body: Registration,
      response: { 200: Account, 400: BadRequestBody, 409: ErrorBody },
    },
    handler: async (request) => {
      const identity = await app.authAccounts.register(request.body.username, request.body.password)
      return { id: identity.id, username: identity.username, roles: rolesOf(identity.role) }
    },
  })

  app.post('/login', {
    schema: {
      summary: 'Exchange a username and password for an access token and a refresh token',
      description:
        'Wrong username and wrong password get the same 401. Rate-limited per username and per client address (429 with Retry-After).',
      tags: ['auth'],
      body: Credentials,
      response: { 200: TokenPair, 400: BadRequestBody, 401: ErrorBody, 429: ErrorBody },
    },
    handler: async (request) => {
      const identity = await app.authAccounts.authenticate(request.body.username, request.body.password, app.authClientAddress(request))
      return app.authSessions.start(identity)
    },
  })

  app.post('/refresh', {
    schema: {
      summary: 'Exchange a refresh token for new tokens (the old refresh token stops working)',
      description: 'Presenting an already-used refresh token revokes every token of that login.',
      tags: ['auth'],
      body: RefreshRequest,
      response: { 200: TokenPair, 400: BadRequestBody, 401: ErrorBody },
    },
    handler: async (request) => app.authSessions.refresh(request.body.refreshToken),
  })

  app.post('/logout', {
    schema: {
      summary: 'End the session of a refresh token',
      tags: ['auth'],
      body: RefreshRequest,
      response: { 204: { type: 'null' }, 400: BadRequestBody },
    },
    handler: async (request, reply) => {
      await app.authSessions.logout(request.body.refreshToken)
      return reply.code(204).send(null)
    },
  })

  app.get('/me', {
    schema: {
      summary: 'Who the bearer token speaks for',
      tags: ['auth'],
      response: { 200: Account, 401: ErrorBody },
    },
    handler: async (request) => {
      const claims = await caller(request)
      return { id: Number(claims.sub), username: claims.username, roles: claims.roles }
    },
  })

  app.post('/keys/rotate', {
    schema: {
      summary: 'Make a new signing key current (admin)',
      description: 'Older keys stop signing at once and stay in the JWKS until the last token they signed has expired.',
      tags: ['auth'],
      response: { 200: RotatedKey, 401: ErrorBody, 403: ErrorBody },
    },
    handler: async (request) => {
      const claims = await caller(request)
      if (!claims.roles.includes('admin')) throw forbidden('Forbidden: the admin role is required')
      return { kid: await app.authKeys.rotate() }
    },
  })
}
