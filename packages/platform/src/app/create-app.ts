import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyBaseLogger,
  type RawServerDefault,
  type RawRequestDefaultExpression,
  type RawReplyDefaultExpression,
} from 'fastify'
import type { Logger } from '../logging/logger.js'
import type { Registry } from 'prom-client'
import { installErrorHandling, type DomainErrorMapper } from '../http/error-handler.js'
import { VALIDATION_KEYWORDS } from '../http/validation.js'
import { Readiness, installHealthRoutes } from '../health/readiness.js'
import { createMetricsRegistry, installHttpMetrics } from '../metrics/registry.js'
import { installOpenApi, type ServiceInfo } from './openapi.js'
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.js'
import type { HttpServerSettings } from '../config/common.js'
import {
  DEFAULT_HTTP_SERVER_SETTINGS,
  MAX_PARAM_LENGTH,
  clientErrorHandler,
  frameworkErrors,
  installServerEdges,
  serverTimeouts,
} from './http-server.js'
import { installLoadShedding } from './load-shedding.js'
import { declareCommonResponses } from './route-responses.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Components checked by GET /health/ready. */
    readiness: Readiness
    /** This app's Prometheus registry, served at GET /metrics. */
    metrics: Registry
  }
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface AppOptions {
  service: ServiceInfo
  logger: Logger
  /** Largest accepted JSON body; larger ones get 413. */
  bodyLimit?: number
  /** Timeouts and load shedding: the service's config (serviceConfig has them); defaults otherwise. */
  server?: Partial<HttpServerSettings>
  /** How often the event-loop delay is sampled for load shedding; tests shorten it. */
  loadSheddingSampleMs?: number
  /** The status and message of each of the service's domain errors; others are 500s. */
  domainErrors?: DomainErrorMapper
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024

/**
 * The Fastify instance every service starts from: request ids, the contract's
 * error bodies, validation, OpenAPI, metrics and health. The service then
 * registers its own plugins and routes on it.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const server = { ...DEFAULT_HTTP_SERVER_SETTINGS, ...options.server }
  const app = Fastify({
    ...serverTimeouts(server),
    clientErrorHandler,
    frameworkErrors,
    loggerInstance: options.logger,
    genReqId: requestIdFor,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // While closing, requests that still arrive on open connections are served, not
    // refused: the drain (lifecycle/run-service.ts) has told clients to reconnect.
    return503OnClosing: false,
    // Every path id is validated by the contract's rule, not by the router's.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreTrailingSlash: true },
    ajv: {
      customOptions: {
        // Wrong JSON types are errors, not something to coerce ("1" is not 1).
        coerceTypes: false,
        // Report every failing field at once, with its value (to tell null from invalid).
        allErrors: true,
        verbose: true,
        keywords: VALIDATION_KEYWORDS,
      },
    },
  })

  const metrics = createMetricsRegistry(options.service.name)
  const readiness = new Readiness()
  app.decorate('metrics', metrics)
  app.decorate('readiness', readiness)

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    // Draining: every answer closes its connection, so keep-alive clients reconnect
    // to a pod that is staying (docs/kubernetes.md, "Rolling updates without errors").
    if (readiness.isDraining) reply.header('connection', 'close')
  })
  // JSON APIs: a text/plain body is an unsupported type (415), not a string to validate.
  app.removeContentTypeParser('text/plain')
  installErrorHandling(app, options.domainErrors)
  installServerEdges(app)
  declareCommonResponses(app)
  await installLoadShedding(app, {
    maxEventLoopDelayMs: server.LOAD_SHED_EVENT_LOOP_DELAY_MS,
    sampleIntervalMs: options.loadSheddingSampleMs,
  })
  installHttpMetrics(app, metrics)
  installHealthRoutes(app, readiness)
  await installOpenApi(app, options.service)
  return app.withTypeProvider<TypeBoxTypeProvider>()
}
