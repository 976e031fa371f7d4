import type { App } from '@soundline/platform'
import { proxyRoutes } from '../../plugins/app/proxy.js'

export default async function songProxy(app: App): Promise<void> {
  proxyRoutes(app, 'song', 'song-service')
}
