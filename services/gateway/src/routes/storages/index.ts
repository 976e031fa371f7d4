import type { App } from '@soundline/platform'
import { proxyRoutes } from '../../plugins/app/proxy.js'

export default async function storageProxy(app: App): Promise<void> {
  proxyRoutes(app, 'storage', 'storage-service')
}
