/**
 * What a call's outcome means to a breaker, as Resilience4j decides it:
 * - failure: counts against the failure rate;
 * - success: counts for it (a 4xx answer proves the dependency is up);
 * - ignored: counts neither way (not in the window; only in the metrics).
 * Slowness is separate: any recorded call longer than the threshold is slow.
 */
export type CallOutcome = 'success' | 'failure' | 'ignored'

export interface CallClassifier {
  /** The protected function resolved with `value`. */
  result(value: unknown): CallOutcome
  /** The protected function rejected with `error` (or the breaker's timeout fired). */
  error(error: unknown): CallOutcome
}

function statusOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { status, statusCode } = value as { status?: unknown; statusCode?: unknown }
  if (typeof status === 'number') return status
  if (typeof statusCode === 'number') return statusCode
  return undefined
}

/**
 * The default: a resolved value with a numeric `status` (or `statusCode`) of
 * 500 or more is a failure — the platform ServiceClient returns 5xx answers as
 * values — anything else resolved is a success, 4xx answers included. A
 * rejection carrying a 4xx status is ignored (the caller's mistake, not the
 * dependency's); every other rejection — UnavailableError (connection errors,
 * the client's timeouts), CallTimeoutError, 5xx errors — is a failure.
 */
export const defaultClassifier: CallClassifier = {
  result(value) {
    const status = statusOf(value)
    return status !== undefined && status >= 500 ? 'failure' : 'success'
  },
  error(error) {
    const status = statusOf(error)
    return status !== undefined && status >= 400 && status < 500 ? 'ignored' : 'failure'
  },
}
