import {
  CreateBucketCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import type { Logger } from '../logging/logger.js'

export interface S3ClientConfig {
  /** Unset means real AWS; set for LocalStack or the embedded server. */
  endpoint?: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  /** Required by S3-compatible servers reached by IP (no virtual-host buckets). */
  forcePathStyle: boolean
  /** Per-request socket timeout; connection timeout is derived from it. Default 30 s. */
  requestTimeoutMs?: number
}

export function createS3Client(config: S3ClientConfig): S3Client {
  const requestTimeout = config.requestTimeoutMs ?? 30_000
  return new S3Client({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    forcePathStyle: config.forcePathStyle,
    // Options object instead of `new NodeHttpHandler(...)`: the SDK builds its own
    // handler from it, so platform needs no direct @smithy dependency.
    requestHandler: { requestTimeout, connectionTimeout: Math.min(requestTimeout, 5_000) },
    // Since SDK 3.729 the default ('WHEN_SUPPORTED') adds CRC32 trailers with
    // `aws-chunked` encoding to every upload. S3-compatible servers (s3rver,
    // older LocalStack/MinIO) store the chunk framing as the object body or
    // reject it; checksums only when an operation requires them works everywhere.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  })
}

function errorName(err: unknown): string {
  return err instanceof S3ServiceException ? err.name : err instanceof Error ? err.name : String(err)
}

/**
 * Creates the bucket unless it exists; safe to call from every replica at start.
 * Resolves 'created' when this call created it, 'exists' otherwise.
 */
export async function ensureBucket(s3: S3Client, bucket: string, logger: Logger): Promise<'created' | 'exists'> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }))
    logger.debug({ bucket }, 'bucket exists')
    return 'exists'
  } catch (err) {
    const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined
    if (status !== 404 && errorName(err) !== 'NotFound' && errorName(err) !== 'NoSuchBucket') throw err
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }))
    logger.info({ bucket }, 'bucket created')
    return 'created'
  } catch (err) {
    // Another replica won the race: the bucket is ours either way.
    if (errorName(err) === 'BucketAlreadyOwnedByYou') {
      logger.debug({ bucket }, 'bucket created concurrently')
      return 'exists'
    }
    // Some S3-compatible servers answer BucketAlreadyExists even to its owner; on AWS it means someone
    // else's bucket. HeadBucket tells the two apart (403 for a foreign bucket).
    if (errorName(err) === 'BucketAlreadyExists') {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }))
      logger.debug({ bucket }, 'bucket created concurrently')
      return 'exists'
    }
    throw err
  }
}

/** The lifecycle rule's ID, so an operator can tell it from rules of their own. */
export const ABORT_INCOMPLETE_UPLOADS_RULE = 'soundline-abort-incomplete-multipart-uploads'

/**
 * Lets S3 remove the parts of multipart uploads still incomplete `days` after
 * they began: what an upload that could not abort (S3 down, process killed)
 * leaves behind. Never throws: a server that refuses lifecycle calls (some
 * S3-compatible ones answer NotImplemented) keeps a working bucket, and the
 * warning says what is missing. Resolves whether the rule was set.
 */
export async function expireIncompleteUploads(s3: S3Client, bucket: string, logger: Logger, days = 1): Promise<boolean> {
  try {
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: ABORT_INCOMPLETE_UPLOADS_RULE,
              Status: 'Enabled',
              Filter: { Prefix: '' },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
            },
          ],
        },
      }),
    )
    logger.info({ bucket, days }, 'bucket lifecycle: incomplete multipart uploads expire')
    return true
  } catch (err) {
    logger.warn(
      { err, bucket, days },
      'could not set the bucket lifecycle rule that expires incomplete multipart uploads; parts of uploads that fail to abort stay',
    )
    return false
  }
}

/** Readiness probe: any authenticated answer from the endpoint means S3 is reachable. */
export async function pingS3(s3: S3Client, bucket?: string): Promise<void> {
  if (bucket) await s3.send(new HeadBucketCommand({ Bucket: bucket }))
  else await s3.send(new ListBucketsCommand({}))
}
