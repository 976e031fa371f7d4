import autoload from '@fastify/autoload'
import { createApp, type App, type Logger } from '@soundline/platform'
import { fileURLToPath } from 'node:url'
import type { GatewayConfig } from './config.js'
import redis from './plugins/external/redis.js'
import access from './plugins/app/access.js'
import { gatewayErrors } from './plugins/app/domain-errors.js'
import proxy from './plugins/app/proxy.js'
import responseCache from './plugins/app/response-cache.js'
import upstreams from './plugins/app/upstreams.js'

export const SERVICE = {
  name: 'gateway',
  version: '0.1.0',
  description: 'The one entry point: routes to the services, checks tokens, guards upstreams with breakers, caches reads.',
}

export async function buildApp(config: GatewayConfig, logger: Logger): Promise<App> {
  const app = await createApp({ service: SERVICE, logger, server: config, domainErrors: gatewayErrors })
  await app.register(redis, { config })
  await app.register(upstreams, { config })
  await app.register(responseCache, { config })
  await app.register(access, { config })
  await app.register(proxy)
  await app.register(autoload, { dir: fileURLToPath(new URL('./routes', import.meta.url)) })
  return app
}
