import { Type } from 'typebox'

const Part = Type.Union([Type.Literal('song'), Type.Literal('resource')])

export const CatalogEntry = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    song: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
      description: 'The Song Service answer; null when absent or unavailable',
    }),
    resource: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
      description: 'GET /resources/{id}/status; null when absent or unavailable',
    }),
    degraded: Type.Array(Part, { description: 'Parts missing because their service is down' }),
    stale: Type.Array(Part, { description: 'Parts served from the gateway cache because their service is down' }),
  },
  { description: 'Song metadata and resource status together' },
)
