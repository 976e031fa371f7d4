#!/usr/bin/env node
// `npm test`: start the infra that is too slow to start per test file (Kafka, an
// S3 server), run the command after `--` with KAFKA_BROKERS and S3_ENDPOINT set,
// then stop the infra and exit with the command's code. Databases are not shared:
// each test calls startTestDatabase().
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { S3_SERVER_BINARY_VARIABLE } from './testing/s3-server.js'
import { pino } from 'pino'
import { startKafka } from './infra/kafka.js'
import { freePort } from './infra/ports.js'
import { startEmbeddedS3 } from './infra/s3.js'
import { cacheDir, repoRoot } from './paths.js'

const logger = pino(
  { level: process.env.STACK_LOG_LEVEL ?? 'info', base: null, timestamp: false },
  {
    write(json: string) {
      const { msg, err } = JSON.parse(json) as { msg?: string; err?: { message?: string } }
      process.stderr.write(`test-env | ${msg ?? ''}${err?.message ? ` (${err.message})` : ''}\n`)
    },
  },
)

async function main(): Promise<number> {
  const separator = process.argv.indexOf('--')
  const command = separator >= 0 ? process.argv.slice(separator + 1) : process.argv.slice(2)
  if (command.length === 0) {
    console.error('usage: test-env -- <command> [args...]')
    return 2
  }
  const started = Date.now()
  const scratch = await mkdtemp(join(tmpdir(), 'soundline-test-env-'))
  const stops: { name: string; stop(): Promise<void> }[] = []
  const env: NodeJS.ProcessEnv = {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...process.env,
    PATH: [join(repoRoot, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
  }

  const cleanup = async (): Promise<void> => {
    for (const { name, stop } of stops.splice(0)) {
      try {
        await stop()
      } catch (err) {
        logger.error({ err }, `${name} did not stop cleanly`)
      }
    }
    await rm(scratch, { recursive: true, force: true })
  }

  let childDone: Promise<number> | undefined
  let forward: ((signal: NodeJS.Signals) => void) | undefined
  let interrupted: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal
    if (forward) forward(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  try {
    const [s3, kafka] = await Promise.allSettled([
      process.env.S3_ENDPOINT ? Promise.resolve(undefined) : startEmbeddedS3({ dataDir: join(scratch, 'infra'), port: 0, logger }),
      process.env.KAFKA_BROKERS
        ? Promise.resolve(undefined)
        : (async () => {
            const port = await freePort()
            const controllerPort = await freePort()
            return startKafka({
              dataDir: join(scratch, 'kafka'),
              cacheDir: join(cacheDir, 'kafka'),
              port,
              controllerPort,
              logger,
              fresh: true,
            })
          })(),
    ])
    if (kafka.status === 'fulfilled' && kafka.value) {
      stops.push({ name: 'kafka', stop: kafka.value.stop })
      env.KAFKA_BROKERS = kafka.value.brokers
    }
    if (s3.status === 'fulfilled' && s3.value) {
      stops.push({ name: 's3', stop: s3.value.stop })
      env.S3_ENDPOINT = s3.value.endpoint
      // Tests that stop and restart a server of their own (persistence, outages) start this binary.
      env[S3_SERVER_BINARY_VARIABLE] = s3.value.binary
    }
    for (const result of [s3, kafka]) {
      if (result.status === 'rejected') throw result.reason
    }
    if (interrupted) return 130
    logger.info(`KAFKA_BROKERS=${env.KAFKA_BROKERS} S3_ENDPOINT=${env.S3_ENDPOINT} (up in ${Date.now() - started} ms)`)

    const [program, ...args] = command as [string, ...string[]]
    const child = spawn(program, args, { stdio: 'inherit', env, cwd: process.cwd() })
    // Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to us alone is passed on.
    forward = (signal) => {
      if (signal === 'SIGTERM') child.kill('SIGTERM')
    }
    childDone = new Promise<number>((resolve) => {
      child.once('error', (err) => {
        logger.error({ err }, `cannot run ${program}`)
        resolve(127)
      })
      child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 143)))
    })
    return await childDone
  } catch (err) {
    logger.error({ err }, 'test infrastructure failed to start')
    return 1
  } finally {
    await cleanup()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
