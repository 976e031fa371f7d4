// Reads that may be served by a replica (the read-only endpoint,
// DATABASE_READ_URL), for the few queries whose callers a slightly stale answer
// cannot hurt; everything else reads from the primary. Which reads, and why:
// docs/high-availability.md "Which reads go to replicas".
import type { Logger } from '../logging/logger.js'
import { isDatabaseUnavailable } from './unavailable.js'

export interface ReplicaReadOptions<R> {
  /**
   * A replica answer that must be confirmed on the primary, because staleness could make it
   * wrong: typically "not found" (a row written a moment ago may not have reached the replica).
   */
  confirmOnPrimary?: (result: R) => boolean
}

export interface ReplicaReads<T> {
  /** Runs `query` on a replica; on the primary when none is configured or none answers. */
  read<R>(query: (client: T) => PromiseLike<R>, options?: ReplicaReadOptions<R>): Promise<R>
}

export function replicaReads<T>(primary: T, replica: T | undefined, logger: Logger): ReplicaReads<T> {
  return {
    async read(query, options = {}) {
      if (replica === undefined) return query(primary)
      let result
      try {
        result = await query(replica)
      } catch (error) {
        // No replica reachable (all down, or being re-pointed after a failover): the primary can answer.
        if (!isDatabaseUnavailable(error)) throw error
        logger.warn({ err: error }, 'read replica unavailable: reading from the primary')
        return query(primary)
      }
      return options.confirmOnPrimary?.(result) ? query(primary) : result
    },
  }
}
