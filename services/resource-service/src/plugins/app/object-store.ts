import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3'
import { HttpError, httpErrors, uploadStream, type Logger } from '@soundline/platform'
import type { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { Counter, type Registry } from 'prom-client'
import { MP3_CONTENT_TYPE } from '../../domain/resource-uploads.js'
import type { ByteRange, ObjectLocation, ObjectStore } from '../../domain/resource.js'

const RETRY_AFTER_SECONDS = 5
/**
 * How long after a cut-off streamed PUT its object is deleted once more. Some S3-compatible
 * servers (versitygw, the local one) take the closed connection for the end of the body and
 * store what arrived, after the domain's own delete has already run (docs/performance.md).
 */
export const CUT_OFF_PUT_SWEEP_MS = 1_000
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

/**
 * The client closed its connection before the whole body arrived: its doing,
 * not S3's. 499 is nginx's "client closed request"; as a 4xx it is ignored by
 * the breakers' default classifier and not logged as a server error (nobody
 * reads the answer anyway).
 */
export class ClientClosedUploadError extends HttpError {
  constructor() {
    super(499, 'Client closed the upload')
    this.name = 'ClientClosedUploadError'
  }
}

/** How a request body fails when its client goes away mid-upload (Node's http server, stream utilities, @fastify/multipart). */
export function isClientAbort(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string }
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'FST_MP_PREMATURE_CLOSE' || message === 'aborted'
}

export interface ObjectStoreOptions {
  logger: Logger
  /** Where soundline_upload_client_aborts_total goes (the app's `app.metrics`). */
  registry: Registry
}

function clientAbortCounter(registry: Registry): Counter {
  const name = 'soundline_upload_client_aborts_total'
  const existing = registry.getSingleMetric(name)
  if (existing instanceof Counter) return existing
  return new Counter({ name, help: 'Uploads whose client closed the connection before the body ended', registers: [registry] })
}

/** `a/b c.mp3` in bucket `x` → `x/a/b%20c.mp3`, the form x-amz-copy-source wants. */
function copySource({ bucket, key }: ObjectLocation): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
}

/** The S3 adapter; `settle()` waits for the sweeps of cut-off uploads still due (at shutdown). */
export function s3ObjectStore(s3: S3Client, options: ObjectStoreOptions): ObjectStore & { settle(): Promise<void> } {
  const { logger } = options
  const clientAborts = clientAbortCounter(options.registry)
  const sweeps = new Set<Promise<void>>()
  const deleteObject = (location: ObjectLocation) => s3.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: location.key }))
  /** A PUT cut off mid-body must leave nothing, even where the server stores it after our delete. */
  const sweepCutOffPut = (location: ObjectLocation): void => {
    const sweep = delay(CUT_OFF_PUT_SWEEP_MS)
      .then(() => deleteObject(location))
      .then(
        () => undefined,
        (error: unknown) => {
          if (!isMissing(error)) logger.warn({ err: error, ...location }, 'could not delete the object of a cut-off upload')
        },
      )
      .finally(() => sweeps.delete(sweep))
    sweeps.add(sweep)
  }
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      throw unavailableOr(error)
    }
  }

  return {
    async upload(location, body, length) {
      // Which failures came from the body (the client's side) rather than from S3.
      let bodyError: unknown
      const onBodyError = (error: unknown): void => {
        bodyError ??= error
      }
      body.on('error', onBodyError)
      try {
        // A declared length (a raw body's Content-Length) streams as one PutObject; a form part
        // or a chunked body has none and goes part by part (docs/performance.md).
        await uploadStream(s3, {
          ...location,
          body,
          contentLength: length,
          contentType: MP3_CONTENT_TYPE,
          logger,
          onPutCutOff: () => sweepCutOffPut(location),
        })
      } catch (error) {
        if (bodyError === undefined || error !== bodyError) throw unavailableOr(error)
        if (!isClientAbort(error)) throw error // the domain's own verdicts on the bytes (not an MP3, too large)
        clientAborts.inc()
        logger.info({ ...location, err: error }, 'client closed the upload')
        throw new ClientClosedUploadError()
      } finally {
        body.off('error', onBodyError)
      }
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
        await deleteObject(location)
      } catch (error) {
        // Already gone (some S3-compatible servers answer 404 instead of 204): that is what we wanted.
        if (!isMissing(error)) throw unavailableOr(error)
      }
    },

    async settle() {
      await Promise.all(sweeps)
    },
  }
}
