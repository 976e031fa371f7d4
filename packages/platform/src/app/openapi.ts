import swagger, { type SwaggerTransform } from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

export interface ServiceInfo {
  name: string
  version: string
  description: string
}

/**
 * OpenAPI 3 generated from the route schemas (so the document cannot drift
 * from what is validated), browsable at /docs, raw at /docs/json.
 */
export async function installOpenApi(app: FastifyInstance, info: ServiceInfo): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: info.name, version: info.version, description: info.description },
    },
    // HEAD is part of the contract where it exists (HEAD /resources/{id}).
    exposeHeadRoutes: true,
  })
  await app.register(swaggerUi, { routePrefix: '/docs', logLevel: 'warn' })
}

/**
 * Route config that shows `body` in the OpenAPI document without Fastify
 * validating it: for a body the route reads as a stream (an upload).
 */
export function documentedBody(body: object): { swaggerTransform: SwaggerTransform } {
  return { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body }, url }) }
}
