// The embedded infrastructure of `npm start`, reused as is. @soundline/local-stack
// exports only ./services and ./paths, so its infra modules are reached through
// their built files (a relative path is not subject to "exports").
export { startKafka, type RunningKafka } from '../../local-stack/dist/infra/kafka.js'
export { startEmbeddedPostgres, type EmbeddedPostgres } from '../../local-stack/dist/infra/postgres.js'
export { startEmbeddedS3 } from '../../local-stack/dist/infra/s3.js'
export { freePort } from '../../local-stack/dist/infra/ports.js'
export { spawnChild, waitForReady, killAllSync, type SupervisedChild, type LinePrinter } from '../../local-stack/dist/supervisor.js'
export { repoRoot, cacheDir, dataDir } from '../../local-stack/dist/paths.js'
