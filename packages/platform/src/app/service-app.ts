import autoload from '@fastify/autoload'
import type { FastifyPluginAsync, FastifyPluginCallback } from 'fastify'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../logging/logger.js'
import { createApp, type App, type AppOptions } from './create-app.js'
import type { ServiceInfo } from './openapi.js'

// Plugins differ in their options; each is registered with what it declares (any: register checks nothing more).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Plugin = FastifyPluginAsync<any> | FastifyPluginCallback<any>

/** A plugin of the service: given `{ config }`, or the options it names. */
export type ServicePlugin = Plugin | readonly [Plugin, object]

/** The server settings every service's config carries (serviceConfig has them). */
type ServerConfig = NonNullable<AppOptions['server']>

export interface ServiceAppDefinition<C extends ServerConfig> extends ServiceInfo, Pick<AppOptions, 'domainErrors'> {
  /** Registered in this order, adapters before what uses them; a function when an option comes from the config. */
  plugins: ServicePlugin[] | ((config: C) => ServicePlugin[])
  /** The routes folder, autoloaded last (`new URL('./routes', import.meta.url)`); none for a service without HTTP routes. */
  routes?: URL
}

export type BuildApp<C> = ((config: C, logger: Logger) => Promise<App>) & { service: ServiceInfo }

/**
 * Every service's buildApp (DEVELOPERS.md "Layout"): the platform's app, the
 * service's plugins, then its routes. `buildApp.service` names it (the logger's label).
 */
export function serviceApp<C extends ServerConfig>(definition: ServiceAppDefinition<C>): BuildApp<C> {
  const { name, version, description, domainErrors, routes } = definition
  const buildApp = async (config: C, logger: Logger): Promise<App> => {
    const app = await createApp({ service: { name, version, description }, logger, server: config, domainErrors })
    const plugins = typeof definition.plugins === 'function' ? definition.plugins(config) : definition.plugins
    for (const plugin of plugins) {
      if (Array.isArray(plugin)) await app.register(plugin[0] as Plugin, plugin[1])
      else await app.register(plugin as Plugin, { config })
    }
    if (routes) await app.register(autoload, { dir: fileURLToPath(routes) })
    return app
  }
  return Object.assign(buildApp, { service: { name, version, description } })
}
