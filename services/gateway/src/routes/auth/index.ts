import type { App } from '@soundline/platform'
import { proxyRoutes } from '../../plugins/app/proxy.js'

export default async function authProxy(app: App): Promise<void> {
  proxyRoutes(app, 'auth', 'auth-service')
}
