import { createLogger, main, serve } from '@soundline/platform'
import { buildApp, SERVICE } from './app.js'
import { loadAuthServiceConfig } from './config.js'

main(async () => {
  const config = loadAuthServiceConfig()
  const logger = createLogger({ service: SERVICE.name, level: config.LOG_LEVEL })
  const app = await buildApp(config, logger)
  await serve(app, { host: config.HOST, port: config.PORT, drainMs: config.SHUTDOWN_DRAIN_MS })
})
