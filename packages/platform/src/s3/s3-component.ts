import type { S3Client } from '@aws-sdk/client-s3'
import type { FastifyInstance } from 'fastify'
import { createS3Client, pingS3 } from './client.js'

export interface S3Settings {
  S3_ENDPOINT: string
  S3_REGION: string
  S3_ACCESS_KEY_ID: string
  S3_SECRET_ACCESS_KEY: string
  S3_FORCE_PATH_STYLE: boolean
}

/** The service's S3 client, reported in /health/ready and closed on shutdown. */
export function connectS3(app: FastifyInstance, settings: S3Settings): S3Client {
  const s3 = createS3Client({
    endpoint: settings.S3_ENDPOINT,
    region: settings.S3_REGION,
    accessKeyId: settings.S3_ACCESS_KEY_ID,
    secretAccessKey: settings.S3_SECRET_ACCESS_KEY,
    forcePathStyle: settings.S3_FORCE_PATH_STYLE,
  })
  app.readiness.register({
    name: 's3',
    critical: true,
    check: async () => {
      const started = performance.now()
      await pingS3(s3)
      return { status: 'UP', details: { latencyMs: Math.round(performance.now() - started) } }
    },
  })
  app.addHook('onClose', async () => {
    s3.destroy()
  })
  return s3
}
