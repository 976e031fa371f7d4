import { connectS3 } from '@soundline/platform'
import type { S3Client } from '@aws-sdk/client-s3'
import fp from 'fastify-plugin'
import type { StorageServiceConfig } from '../../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    s3: S3Client
  }
}

export default fp<{ config: StorageServiceConfig }>(
  async (app, { config }) => {
    app.decorate('s3', connectS3(app, config))
  },
  { name: 's3' },
)
