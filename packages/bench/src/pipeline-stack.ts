// A private upload pipeline for the bench: a PGlite database for each service that
// owns one and the S3 server, each in their own process, a Kafka broker (the local
// stack's, jars cached under <repo>/.cache/kafka, data in a temp dir), and the four
// services of the upload path on free ports. Nothing is shared with `npm start`.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogger } from '@soundline/platform'
import { service, serviceEntry, serviceUrlVariable, startWaves } from '@soundline/registry'
import { freePort, startKafka, type RunningKafka } from '@soundline/dev-stack/infra'
import { cacheDir, repoRoot } from '@soundline/dev-stack/paths'
import { firstLine, startNode, waitForHttp, type Child } from './children.js'

/** Start-up takes tens of seconds on a small machine: say what it waits for (stderr, the tables stay clean). */
const progress = (step: string) => process.stderr.write(`pipeline: ${step}\n`)
const childScript = (name: string) => fileURLToPath(new URL(`./children/${name}.js`, import.meta.url))
/** The upload path, as the registry describes it. */
const PIPELINE = ['song-service', 'storage-service', 'resource-service', 'resource-processor']

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

export async function startPipelineStack(
  // resourceNodeArgs: Node flags for the Resource Service (--cpu-prof is refused in NODE_OPTIONS).
  options: { resourceEnv?: Record<string, string>; resourceNodeArgs?: string[] } = {},
): Promise<PipelineStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'soundline-bench-'))
  const children: Child[] = []
  let kafka: RunningKafka | undefined
  const stop = async () => {
    for (const child of children.reverse()) await child.stop()
    await kafka?.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    const withDatabase = PIPELINE.filter((name) => service(name).database)
    progress(`starting PGlite x${withDatabase.length} and the S3 server`)
    const s3 = startNode(childScript('s3-server'), { S3_DATA_DIR: join(dataDir, 'objects') })
    children.push(s3)
    // Read at once: startNode's own listener keeps stdout flowing, so a line not awaited now is gone.
    const s3Line = firstLine(s3)
    const databases = new Map(await Promise.all(withDatabase.map(async (name) => [name, await startPglite()] as const)))
    for (const database of databases.values()) children.push(database.child)
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

    const ports = new Map<string, number>()
    for (const name of PIPELINE) ports.set(name, await freePort())
    const url = (name: string) => `http://127.0.0.1:${ports.get(name) ?? 0}`
    const common = {
      HOST: '127.0.0.1',
      S3_ENDPOINT: endpoint,
      KAFKA_BROKERS: kafka.brokers,
      ...Object.fromEntries(PIPELINE.map((name) => [serviceUrlVariable(name), url(name)])),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }
    const started = new Map<string, Child>()
    const start = async (name: string) => {
      progress(`starting ${name}`)
      const database = databases.get(name)
      const own = name === 'resource-service' ? options.resourceEnv : {}
      const env = { ...common, PORT: String(ports.get(name)), ...(database ? { DATABASE_URL: database.url } : {}), ...own }
      const child = startNode(join(repoRoot, serviceEntry(name)), env, name === 'resource-service' ? options.resourceNodeArgs : [])
      children.push(child)
      await waitForHttp(`${url(name)}/health/ready`, 60_000)
      started.set(name, child)
    }
    // Each wave once the services it calls answer. The processor comes last and is ready only once
    // its consumer joined the group: the first uploads would otherwise wait for the rebalance.
    for (const wave of startWaves(PIPELINE)) await Promise.all(wave.map(start))
    return {
      s3Endpoint: endpoint,
      resourceService: url('resource-service'),
      songService: url('song-service'),
      resourcePid: started.get('resource-service')?.process.pid ?? 0,
      processorPid: started.get('resource-processor')?.process.pid ?? 0,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
