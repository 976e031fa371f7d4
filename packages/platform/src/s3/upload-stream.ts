import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3'
import { Transform, type Readable } from 'node:stream'
import type { Logger } from '../logging/logger.js'

/** S3's smallest part (except the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024

export interface UploadStreamOptions {
  bucket: string
  key: string
  body: Readable
  contentType?: string
  /**
   * The body's length when it is known in advance (a request's Content-Length):
   * then the body streams into one PutObject, no part buffered. A body that
   * ends shorter or runs longer fails with BodyLengthMismatchError and nothing
   * is stored. Undefined: the part-by-part path below.
   */
  contentLength?: number
  /** Bytes per part, at least 5 MiB; memory use is about twice this. Default 8 MiB. */
  partBytes?: number
  /** Where a failed abort is reported (its parts stay in S3 until the bucket's lifecycle rule expires them). */
  logger?: Logger
  /**
   * Called when the one streamed PutObject (`contentLength` set) failed after it was sent. S3
   * stores nothing then; some S3-compatible servers (versitygw, the local one) take the closed
   * connection for the end of the body and may store what arrived, even after the caller's own
   * delete, so the caller can delete the object once more later (docs/performance.md).
   */
  onPutCutOff?: () => void
}

/**
 * Streams a body of unknown length to S3 with flat memory: a body that fits in
 * one part is a single PutObject; a larger one is a multipart upload whose
 * parts are sent one at a time (the body is not read while a part is in
 * flight). If the body or S3 fails, the multipart upload is aborted (a failed
 * abort is logged) and the error is rethrown as is, so callers can tell their
 * own errors apart.
 * (What @aws-sdk/lib-storage's Upload does, without the extra dependency.)
 */
export async function uploadStream(s3: S3Client, options: UploadStreamOptions): Promise<{ size: number }> {
  if (options.contentLength !== undefined) return putStream(s3, options, options.contentLength)
  const { bucket, key, body, contentType } = options
  const partBytes = Math.max(MIN_PART_BYTES, options.partBytes ?? DEFAULT_PART_BYTES)
  let pending: Buffer[] = []
  let pendingBytes = 0
  let size = 0
  let uploadId: string | undefined
  const parts: CompletedPart[] = []

  const sendPart = async (data: Buffer): Promise<void> => {
    if (uploadId === undefined) {
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }))
      if (!created.UploadId) throw new Error(`S3 returned no UploadId for ${bucket}/${key}`)
      uploadId = created.UploadId
    }
    const PartNumber = parts.length + 1
    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: data, ContentLength: data.length }),
    )
    parts.push({ ETag, PartNumber })
  }

  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      pending.push(chunk)
      pendingBytes += chunk.length
      size += chunk.length
      while (pendingBytes >= partBytes) {
        const all = Buffer.concat(pending, pendingBytes)
        pending = [all.subarray(partBytes)]
        pendingBytes = all.length - partBytes
        await sendPart(all.subarray(0, partBytes))
      }
    }
    const rest = Buffer.concat(pending, pendingBytes)
    if (uploadId === undefined) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: rest, ContentLength: rest.length, ContentType: contentType }))
      return { size }
    }
    if (rest.length > 0) await sendPart(rest)
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }))
    return { size }
  } catch (error) {
    if (uploadId !== undefined) {
      try {
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      } catch (abortError) {
        // The caller's error is the one to throw; the parts left behind are for the lifecycle
        // rule (expireIncompleteUploads) to expire, and for an operator to see.
        options.logger?.warn(
          { err: abortError, bucket, key, uploadId, parts: parts.length },
          'could not abort a failed multipart upload: its parts stay in S3 until the bucket lifecycle rule expires them',
        )
      }
    }
    throw error
  }
}

/** The body did not have the length declared for it. */
export class BodyLengthMismatchError extends Error {
  constructor(
    readonly declared: number,
    readonly actual: number,
  ) {
    // Too long is noticed at the first chunk past the end: `actual` is then a lower bound.
    super(`${actual > declared ? 'at least ' : ''}${actual} bytes arrived, ${declared} were declared`)
    this.name = 'BodyLengthMismatchError'
  }
}

/**
 * A body of known length as one PutObject, streamed: memory stays at the
 * stream's buffers whatever the size (S3 takes up to 5 GiB in one PUT). The
 * SDK pipes the body into its request, and pipe() does not forward errors: a
 * body that fails (or has the wrong length) aborts the request, so S3 never
 * sees a complete object and stores nothing (but see `onPutCutOff`), and the body's own error is what
 * the caller gets. The SDK does not retry a streamed body (it cannot be read
 * twice); the parts of the other path are buffers and are retried.
 */
async function putStream(s3: S3Client, options: UploadStreamOptions, contentLength: number): Promise<{ size: number }> {
  const { bucket, key, body, contentType } = options
  const aborter = new AbortController()
  let failure: unknown
  const fail = (error: unknown): void => {
    if (failure !== undefined) return
    failure = error
    aborter.abort(error)
  }
  let size = 0
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length
      if (size > contentLength) done(new BodyLengthMismatchError(contentLength, size))
      else done(null, chunk)
    },
    // Short: fail before the end reaches the request, or S3 would wait for the missing bytes.
    flush(done) {
      done(size === contentLength ? null : new BodyLengthMismatchError(contentLength, size))
    },
  })
  body.on('error', fail)
  counted.on('error', fail)
  // A body can have failed before it got here.
  if (body.errored) fail(body.errored)
  body.pipe(counted)
  try {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: counted, ContentLength: contentLength, ContentType: contentType }),
      { abortSignal: aborter.signal },
    )
  } catch (error) {
    options.onPutCutOff?.()
    throw failure ?? error
  } finally {
    body.off('error', fail)
    body.unpipe(counted)
    if (failure !== undefined) counted.destroy()
  }
  return { size }
}
