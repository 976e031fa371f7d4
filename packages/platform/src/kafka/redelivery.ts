import { setTimeout as sleep } from 'node:timers/promises'
import type { RawRecord } from './publisher.js'

/**
 * The bookkeeping of the retry and dead-letter topics, carried in headers so
 * the value stays the original event (docs/resilience.md "Retry topic and
 * dead letters").
 */
export const RETRY_HEADERS = {
  /** 1 for the first retry; the first delivery on the source topic has none. */
  attempt: 'retry-attempt',
  /** Epoch milliseconds before which the retry consumer does not handle it. */
  notBefore: 'retry-not-before',
  sourceTopic: 'retry-source-topic',
  /** The consumer group that failed: groups sharing a retry topic leave each other's messages alone. */
  group: 'retry-group',
  reason: 'retry-reason',
} as const

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  /** Where a replay republishes the message. */
  sourceTopic: 'dlq-source-topic',
  attempts: 'dlq-attempts',
  group: 'dlq-group',
} as const

export interface RetrySettings {
  /** Attempts on the retry topic before the dead-letter topic. */
  maxAttempts: number
  /** Delay before retry 1; doubles per retry (no jitter: the retry topic is worked in order). */
  baseDelayMs: number
  maxDelayMs: number
  /** False sends the message to the dead-letter topic at once. Default: everything is retryable. */
  isRetryable?: (error: unknown) => boolean
}

export interface SourceMessage {
  key: string | null
  value: string
  headers: Record<string, string>
}

const MAX_REASON_LENGTH = 1_000
const OURS = new Set<string>([...Object.values(RETRY_HEADERS), ...Object.values(DLQ_HEADERS)])

export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text
}

/** The message's own headers (traceparent, ce_*), without retry or dead-letter bookkeeping. */
export function originalHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !OURS.has(name)))
}

export function retryRecord(
  message: SourceMessage,
  retry: { sourceTopic: string; groupId: string; attempt: number; notBefore: number; reason: string },
): RawRecord {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...originalHeaders(message.headers),
      [RETRY_HEADERS.attempt]: String(retry.attempt),
      [RETRY_HEADERS.notBefore]: String(retry.notBefore),
      [RETRY_HEADERS.sourceTopic]: retry.sourceTopic,
      [RETRY_HEADERS.group]: retry.groupId,
      [RETRY_HEADERS.reason]: retry.reason,
    },
  }
}

export function deadLetterRecord(
  message: SourceMessage,
  dead: { sourceTopic: string; groupId?: string; attempts: number; reason: string },
): RawRecord {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...originalHeaders(message.headers),
      [DLQ_HEADERS.reason]: dead.reason,
      [DLQ_HEADERS.sourceTopic]: dead.sourceTopic,
      [DLQ_HEADERS.attempts]: String(dead.attempts),
      ...(dead.groupId ? { [DLQ_HEADERS.group]: dead.groupId } : {}),
    },
  }
}

export interface RetryState {
  attempt: number
  notBefore: number
  sourceTopic: string
  groupId: string | undefined
}

/** What a message on a retry topic says about itself; defaults for a message someone put there by hand. */
export function readRetryState(headers: Record<string, string>, retryTopicName: string): RetryState {
  const attempt = Number(headers[RETRY_HEADERS.attempt])
  const notBefore = Number(headers[RETRY_HEADERS.notBefore])
  return {
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    notBefore: Number.isFinite(notBefore) ? notBefore : 0,
    sourceTopic: headers[RETRY_HEADERS.sourceTopic] ?? retryTopicName.replace(/\.retry$/, ''),
    groupId: headers[RETRY_HEADERS.group],
  }
}

const WAIT_SLICE_MS = 1_000

/**
 * Sleeps until `notBefore` in slices of at most a second, heartbeating after
 * each so the group keeps this member (and a rebalance interrupts the wait).
 * Rejects when `signal` aborts (the consumer is stopping): the offset stays
 * uncommitted and the message is delivered again.
 */
export async function waitUntil(notBefore: number, heartbeat: () => Promise<void>, signal: AbortSignal): Promise<void> {
  for (let wait = notBefore - Date.now(); wait > 0; wait = notBefore - Date.now()) {
    await sleep(Math.min(wait, WAIT_SLICE_MS), undefined, { signal })
    await heartbeat()
  }
}
