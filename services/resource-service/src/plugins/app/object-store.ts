import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3'
import { httpErrors, uploadStream } from '@soundline/platform'
import type { Readable } from 'node:stream'
import { MP3_CONTENT_TYPE } from '../../domain/resource-uploads.js'
import type { ByteRange, ObjectLocation, ObjectStore } from '../../domain/resource.js'

const RETRY_AFTER_SECONDS = 5
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'])

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound')
  )
}

/** S3 down (no answer, or a 5xx) is a 503 for the client; anything else stays as it is. */
function unavailableOr(error: unknown): unknown {
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined
  const code = (error as { code?: string } | null)?.code
  const down =
    (status !== undefined && status >= 500) ||
    (code !== undefined && NETWORK_ERRORS.has(code)) ||
    (error as Error | null)?.name === 'TimeoutError'
  return down ? httpErrors.serviceUnavailable('Object storage is unavailable', RETRY_AFTER_SECONDS) : error
}

/** `a/b c.mp3` in bucket `x` → `x/a/b%20c.mp3`, the form x-amz-copy-source wants. */
function copySource({ bucket, key }: ObjectLocation): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
}

/** The S3 adapter. */
export function s3ObjectStore(s3: S3Client): ObjectStore {
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      throw unavailableOr(error)
    }
  }

  return {
    async upload(location, body) {
      await call(() => uploadStream(s3, { ...location, body, contentType: MP3_CONTENT_TYPE }))
    },

    async download(location, range?: ByteRange) {
      try {
        const { Body } = await s3.send(
          new GetObjectCommand({
            Bucket: location.bucket,
            Key: location.key,
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        )
        // In Node the SDK's body is an http.IncomingMessage (a Readable).
        return Body as Readable
      } catch (error) {
        if (isMissing(error)) return undefined
        throw unavailableOr(error)
      }
    },

    async sizeOf(location) {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }))
        return head.ContentLength
      } catch (error) {
        if (isMissing(error)) return undefined
        throw unavailableOr(error)
      }
    },

    async copy(from, to) {
      await call(() => s3.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: copySource(from) })))
    },

    async delete(location) {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: location.key }))
      } catch (error) {
        // Already gone (some S3-compatible servers answer 404 instead of 204): that is what we wanted.
        if (!isMissing(error)) throw unavailableOr(error)
      }
    },
  }
}
