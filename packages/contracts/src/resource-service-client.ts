import { IdParams, type ServiceCaller, type ServiceResponse } from '@soundline/platform'
import { OperationClient, UnexpectedAnswerError, type Operations } from './operation.js'
import { ResourceStatus } from './resources.js'

/** The file's media type, as GET /resources/{id} answers it. */
export const RESOURCE_CONTENT_TYPE = 'audio/mpeg'

/** What the Resource Service's callers (the processor, the gateway's catalog) use of it. */
export const RESOURCE_SERVICE_OPERATIONS = {
  download: {
    method: 'GET',
    path: '/resources/{id}',
    params: IdParams,
    success: { status: 200, contentType: RESOURCE_CONTENT_TYPE },
    idempotent: true,
  },
  status: {
    method: 'GET',
    path: '/resources/{id}/status',
    params: IdParams,
    success: { status: 200, body: ResourceStatus },
    idempotent: true,
  },
} as const satisfies Operations

export class ResourceServiceClient extends OperationClient {
  static readonly operations = RESOURCE_SERVICE_OPERATIONS

  constructor(caller: ServiceCaller) {
    super(caller, 'resource-service')
  }

  /** The file's answer, its body unread; null when the resource does not exist (deleted meanwhile). */
  async download(id: number): Promise<ServiceResponse | null> {
    const response = await this.call(RESOURCE_SERVICE_OPERATIONS.download, { params: { id } })
    if (response.status === 404) {
      await response.discard()
      return null
    }
    if (response.status !== RESOURCE_SERVICE_OPERATIONS.download.success.status) {
      await response.discard()
      throw new UnexpectedAnswerError(this.service, response.status, `GET /resources/${id}`)
    }
    return response
  }

  /** Where the file is and how processing went; null when the resource does not exist. */
  async status(id: number): Promise<ResourceStatus | null> {
    const op = RESOURCE_SERVICE_OPERATIONS.status
    return this.expectOrAbsent<ResourceStatus>(op, await this.call(op, { params: { id } }), `GET /resources/${id}/status`)
  }
}
