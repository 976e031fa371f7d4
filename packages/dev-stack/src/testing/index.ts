// Helpers for services' tests: real servers on ephemeral ports, no mocks.
export {
  startTestDatabase,
  startPgliteDatabase,
  startRestartablePgliteDatabase,
  type TestDatabase,
  type RestartableDatabase,
} from './database.js'
export {
  startTestS3,
  testS3Client,
  startS3Server,
  testS3Binary,
  S3_SERVER_BINARY_VARIABLE,
  TEST_CREDENTIALS,
  type S3Server,
  type S3ServerOptions,
} from './s3-server.js'
export { servePglite, type PgliteBackend, type PgliteServer, type ServePgliteOptions } from './pglite-server.js'
export { listenOnFreePort, http, validationError, type HttpResult, type HttpRequestOptions } from './http.js'
export { makeMp3, fakeMp3Bytes, truncatedMp3, pngBytes, wavBytes, QUEEN_TAGS, type Mp3Options, type Mp3Tag } from './mp3.js'
export { kafkaBrokers, eventually, waitUntilReady, collectEvents, publisherFor, type ReceivedMessage, type Teardown } from './kafka.js'
export { writeBytes } from './stream-bytes.js'
export { deadAddress } from './addresses.js'
export { freePort, freePorts } from '../infra/ports.js'
export { startRedisCluster, type RunningRedisCluster, type ClusterNode } from '../infra/redis-cluster.js'
export { currentSigningKey, strangerKey, mint, forgedTokens, type SigningKey, type MintOptions } from './tokens.js'
export { startService, type RunningService, type StartServiceOptions } from './service.js'
export { checkContract, type Drift } from './contract.js'
