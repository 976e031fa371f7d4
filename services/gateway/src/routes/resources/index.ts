import type { App } from '@soundline/platform'
import { proxyRoutes } from '../../plugins/app/proxy.js'

export default async function resourceProxy(app: App): Promise<void> {
  proxyRoutes(app, 'resource', 'resource-service')
}
