// The embedded S3 server of `npm start` in its own process, so the uploads the
// bench sends and the bench's own timers never share its event loop.
// Objects go under S3_DATA_DIR; prints {"endpoint": ...} when listening.
import { createLogger } from '@soundline/platform'
import { startEmbeddedS3 } from '@soundline/dev-stack/infra'

const dataDir = process.env.S3_DATA_DIR
if (!dataDir) throw new Error('S3_DATA_DIR is not set')
const s3 = await startEmbeddedS3({ dataDir, port: 0, logger: createLogger({ service: 'bench-s3', level: 'warn' }) })
console.log(JSON.stringify({ endpoint: s3.endpoint }))
process.once('SIGTERM', () => void s3.stop().then(() => process.exit(0)))
