// A private upload pipeline for the bench: three PGlite databases and the S3
// server each in their own process, a Kafka broker (the local stack's, jars
// cached under <repo>/.cache/kafka, data in a temp dir), and the four services
// of the upload path on free ports. Nothing is shared with `npm start`.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogger } from '@soundline/platform'
import { firstLine, freePort, startNode, waitForHttp, type Child } from './children.js'
import { cacheDir, repoRoot, startKafka, type RunningKafka } from './local-stack.js'

/** Start-up takes tens of seconds on a small machine: say what it waits for (stderr, the tables stay clean). */
const progress = (step: string) => process.stderr.write(`pipeline: ${step}\n`)
const childScript = (name: string) => fileURLToPath(new URL(`./children/${name}.js`, import.meta.url))

export interface PipelineStack {
  s3Endpoint: string
  resourceService: string
  songService: string
  /** The Resource Service's process id, for its RSS. */
  resourcePid: number
  /** The processor's process id: SIGSTOP/SIGCONT take it out of an upload measurement. */
  processorPid: number
  stop(): Promise<void>
}

async function startPglite(): Promise<{ url: string; child: Child }> {
  const child = startNode(childScript('pglite-server'), {})
  const { port } = JSON.parse(await firstLine(child)) as { port: number }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, child }
}

export async function startPipelineStack(options: { resourceEnv?: Record<string, string> } = {}): Promise<PipelineStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-bench-'))
  const children: Child[] = []
  let kafka: RunningKafka | undefined
  const stop = async () => {
    for (const child of children.reverse()) await child.stop()
    await kafka?.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    progress('starting PGlite x3 and the S3 server')
    const s3 = startNode(childScript('s3-server'), { S3_DATA_DIR: join(dataDir, 'objects') })
    children.push(s3)
    // Read at once: startNode's own listener keeps stdout flowing, so a line not awaited now is gone.
    const s3Line = firstLine(s3)
    const [song, storage, resource] = await Promise.all([startPglite(), startPglite(), startPglite()])
    children.push(song.child, storage.child, resource.child)
    const { endpoint } = JSON.parse(await s3Line) as { endpoint: string }
    progress('starting Kafka')
    kafka = await startKafka({
      dataDir: join(dataDir, 'kafka'),
      cacheDir: join(cacheDir, 'kafka'),
      port: await freePort(),
      controllerPort: await freePort(),
      logger: createLogger({ service: 'bench-kafka', level: 'warn' }),
      brokerLogLevel: 'WARN',
    })

    const ports = { song: await freePort(), storage: await freePort(), resource: await freePort(), processor: await freePort() }
    const url = (port: number) => `http://127.0.0.1:${port}`
    const common = {
      HOST: '127.0.0.1',
      S3_ENDPOINT: endpoint,
      KAFKA_BROKERS: kafka.brokers,
      STORAGE_SERVICE_URL: url(ports.storage),
      SONG_SERVICE_URL: url(ports.song),
      RESOURCE_SERVICE_URL: url(ports.resource),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }
    const service = async (name: string, port: number, env: Record<string, string>) => {
      progress(`starting ${name}`)
      const child = startNode(join(repoRoot, `services/${name}/dist/server.js`), { ...common, PORT: String(port), ...env })
      children.push(child)
      await waitForHttp(`${url(port)}/health/ready`, 60_000)
      return child
    }
    await Promise.all([
      service('song-service', ports.song, { DATABASE_URL: song.url }),
      service('storage-service', ports.storage, { DATABASE_URL: storage.url }),
    ])
    const resourceService = await service('resource-service', ports.resource, { DATABASE_URL: resource.url, ...options.resourceEnv })
    // Ready only once its consumer joined the group: the first uploads would otherwise wait for the rebalance.
    const processor = await service('resource-processor', ports.processor, {})
    return {
      s3Endpoint: endpoint,
      resourceService: url(ports.resource),
      songService: url(ports.song),
      resourcePid: resourceService.process.pid ?? 0,
      processorPid: processor.process.pid ?? 0,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
