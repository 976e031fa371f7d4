import type { Logger } from '../logging/logger.js'
import type { App } from '../app/create-app.js'
import { ConfigError } from '../config/env.js'

export const SHUTDOWN_TIMEOUT_MS = 10_000

export interface ListenOptions {
  port: number
  host: string
  /** After SIGTERM, keep serving this long (answers close their connections) before closing. */
  drainMs?: number
}

/**
 * Serves the app until SIGTERM/SIGINT, then shuts down in order: report
 * not-ready and drain for `drainMs` (still serving, every answer with
 * `Connection: close`, so keep-alive clients such as the gateway move to
 * another pod instead of meeting a closed socket), stop accepting, let
 * in-flight requests finish, run the app's onClose hooks (database, Kafka, S3
 * clients), exit. If closing takes longer than 10 s the process exits anyway:
 * Kubernetes would SIGKILL it soon after.
 */
export async function serve(app: App, options: ListenOptions): Promise<void> {
  let closing = false
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    closing = true
    app.log.info({ signal, drainMs: options.drainMs ?? 0 }, 'shutting down')
    app.readiness.markDraining()
    setTimeout(() => close(), options.drainMs ?? 0)
  }
  const close = () => {
    const deadline = setTimeout(() => {
      app.log.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms: exiting`)
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS)
    app.close().then(
      () => {
        clearTimeout(deadline)
        app.log.info('stopped')
        process.exit(0)
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
  await app.listen({ port: options.port, host: options.host })
}

/**
 * Entry-point wrapper: a bad configuration stops the service with a message
 * naming the variable; any other start-up failure is logged and exits 1.
 */
export function main(start: () => Promise<void>, logger?: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger?.fatal({ err: reason }, 'unhandled promise rejection')
    process.exit(1)
  })
  start().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message)
    } else if (logger) {
      logger.fatal({ err: error }, 'failed to start')
    } else {
      console.error('failed to start:', error)
    }
    process.exit(1)
  })
}
