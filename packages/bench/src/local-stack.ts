// The embedded infrastructure of `npm start`, reused as is. @soundline/local-stack
// exports only ./services and ./paths, so its infra modules are reached through
// their built files (a relative path is not subject to "exports").
export { startKafka, type RunningKafka } from '../../local-stack/dist/infra/kafka.js'
export { startEmbeddedS3 } from '../../local-stack/dist/infra/s3.js'
export { freePort } from '../../local-stack/dist/infra/ports.js'
export { repoRoot, cacheDir } from '../../local-stack/dist/paths.js'
