import type { TSchema } from 'typebox'
import { ErrorBody, IdCsvQuery, IdParams, IdsResponse } from './common.js'

/** What a route's schema says of itself in the OpenAPI document. */
interface RouteDoc {
  summary: string
  tag: string
  description?: string
}

const doc = ({ summary, tag, description }: RouteDoc) => ({ summary, tags: [tag], ...(description ? { description } : {}) })

/** GET /{id}: the thing, or the contract's 400 (not an id) and 404 (docs/api.md "Ids"). */
export function getByIdSchema<T extends TSchema>(route: RouteDoc, body: T) {
  return { ...doc(route), params: IdParams, response: { 200: body, 400: ErrorBody, 404: ErrorBody } }
}

/** DELETE ?id=1,2,3: the ids that existed, or the contract's 400 for the list (docs/api.md "Ids"). */
export function deleteByIdsSchema(route: RouteDoc) {
  return { ...doc(route), querystring: IdCsvQuery, response: { 200: IdsResponse, 400: ErrorBody } }
}
