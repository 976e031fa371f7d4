export * from './events.js'
export { topicNames, type TopicNames } from './topic-names.js'
export { Song, SongFields } from './songs.js'
export { ResourceState, ResourceStatus } from './resources.js'
export { Jwks } from './auth.js'
export { NewStorage, Storage, StorageList, StorageQuery, StorageType, BUCKET_NAME, KEY_PREFIX, MAX_PATH_LENGTH } from './storages.js'
export {
  pathOf,
  OperationClient,
  UnexpectedAnswerError,
  UnexpectedBodyError,
  type Method,
  type Operation,
  type Operations,
} from './operation.js'
export { operationMismatches, type OpenApiDocument } from './openapi-check.js'
export { SongServiceClient, SONG_SERVICE_OPERATIONS, type RecordResult } from './song-service-client.js'
export { StorageServiceClient, STORAGE_SERVICE_OPERATIONS } from './storage-service-client.js'
export { ResourceServiceClient, RESOURCE_SERVICE_OPERATIONS, RESOURCE_CONTENT_TYPE } from './resource-service-client.js'
export { AuthServiceClient, AUTH_SERVICE_OPERATIONS } from './auth-service-client.js'
