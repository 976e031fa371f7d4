import { Type, type Static } from 'typebox'

/** The Resource Service's GET /resources/{id}/status: where the file is and how processing went. */
export const ResourceState = Type.Union([Type.Literal('STAGING'), Type.Literal('PERMANENT'), Type.Literal('FAILED')])

export const ResourceStatus = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  state: ResourceState,
  storageId: Type.Integer(),
  bucket: Type.String(),
  key: Type.String(),
  size: Type.Integer({ description: 'Bytes' }),
  sha256: Type.String({ description: 'Hex SHA-256 of the file' }),
  failureReason: Type.Union([Type.String(), Type.Null()], { description: 'Why processing failed; null unless FAILED' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type ResourceStatus = Static<typeof ResourceStatus>
