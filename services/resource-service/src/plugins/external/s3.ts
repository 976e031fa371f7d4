import { connectS3, type App } from '@soundline/platform'
import type { S3Client } from '@aws-sdk/client-s3'
import fp from 'fastify-plugin'
import type { ResourceServiceConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    s3: S3Client
  }
}

export default fp<{ config: ResourceServiceConfig }>(
  async (app, { config }) => {
    app.decorate('s3', connectS3(app as unknown as App, config))
  },
  { name: 's3' },
)
