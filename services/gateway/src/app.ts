import { serviceApp } from '@soundline/platform'
import type { GatewayConfig } from './config.js'
import redis from './plugins/external/redis.js'
import access from './plugins/app/access.js'
import { gatewayErrors } from './plugins/app/domain-errors.js'
import proxy from './plugins/app/proxy.js'
import responseCache from './plugins/app/response-cache.js'
import upstreams from './plugins/app/upstreams.js'

export const buildApp = serviceApp<GatewayConfig>({
  name: 'gateway',
  description: 'The one entry point: routes to the services, checks tokens, guards upstreams with breakers, caches reads.',
  plugins: [redis, upstreams, responseCache, access, proxy],
  version: '0.1.0',
  domainErrors: gatewayErrors,
  routes: new URL('./routes', import.meta.url),
})

export const SERVICE = buildApp.service
