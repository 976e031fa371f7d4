import { ErrorBody, getByIdSchema, IdParams, parsePathId, type App } from '@soundline/platform'
import { Type } from 'typebox'
import type { DeletionSaga } from '../../domain/deletion-saga.js'
import { SagaListQuery, SagaRecord } from '../../schemas/resources.js'

function toRecord(saga: DeletionSaga): SagaRecord {
  return {
    ...saga,
    nextAttemptAt: saga.nextAttemptAt.toISOString(),
    createdAt: saga.createdAt.toISOString(),
    updatedAt: saga.updatedAt.toISOString(),
    completedAt: saga.completedAt?.toISOString() ?? null,
  }
}

/**
 * Operators' endpoints, outside the public contract. The Resource Service has
 * no authentication of its own; like the Song Service's /internal routes these
 * are reachable only inside the cluster, because the gateway proxies only the
 * public prefixes (docs/security.md, docs/consistency.md "Admin retry").
 */
export default async function internalRoutes(app: App): Promise<void> {
  app.get('/admin/sagas', {
    schema: {
      summary: 'Deletion sagas, oldest first; ?state=FAILED lists those waiting for an admin (internal: not proxied by the gateway)',
      tags: ['internal'],
      querystring: SagaListQuery,
      response: { 200: Type.Array(SagaRecord), 400: ErrorBody },
    },
    handler: async (request) => (await app.deletionSagas.list(request.query.state, Number(request.query.limit ?? 100))).map(toRecord),
  })

  app.get('/admin/sagas/:id', {
    schema: getByIdSchema({ summary: 'One deletion saga (internal: not proxied by the gateway)', tag: 'internal' }, SagaRecord),
    handler: async (request) => toRecord(await app.deletionSagas.get(parsePathId(request.params.id))),
  })

  app.post('/admin/sagas/:id/retry', {
    schema: {
      summary:
        'Resume a FAILED deletion saga from its failed step; answers the saga after a first run (internal: not proxied by the gateway)',
      tags: ['internal'],
      params: IdParams,
      response: { 200: SagaRecord, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    },
    handler: async (request) => toRecord(await app.deletionSagas.retry(parsePathId(request.params.id))),
  })
}
