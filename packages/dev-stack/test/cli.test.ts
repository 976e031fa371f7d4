import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import t from 'tap'
import { freePort } from '../src/infra/ports.js'

// Runs the real orchestrator (src/cli.ts through tsx) with a registry of small
// stand-in services on free ports, embedded Postgres and S3, and KAFKA_BROKERS
// passed through (Kafka has its own test).
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

const FAKE_SERVICE = `
import http from 'node:http';
console.log('fake env DATABASE_URL=' + process.env.DATABASE_URL + ' KAFKA_BROKERS=' + process.env.KAFKA_BROKERS + ' S3_ENDPOINT=' + process.env.S3_ENDPOINT + ' HOST=' + process.env.HOST);
const server = http.createServer((req, res) => { res.writeHead(req.url === '/health/ready' ? 200 : 404); res.end('{}'); });
server.listen(Number(process.env.PORT), process.env.HOST, () => console.log('fake listening on ' + server.address().address));
process.on('SIGTERM', () => { console.log('fake got SIGTERM'); server.close(() => process.exit(0)); });
`
const CRASHING_SERVICE = `console.error('boom: cannot start on ' + process.env.HOST); process.exit(3);`

interface Run {
  output: () => string
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>
  exited: Promise<number | null>
  kill(signal: NodeJS.Signals): void
}

function runCli(env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, ['--import=tsx', CLI], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const waiters = new Set<() => void>()
  const onData = (chunk: Buffer): void => {
    output += chunk.toString()
    for (const check of waiters) check()
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  return {
    output: () => output,
    exited,
    kill: (signal) => child.kill(signal),
    waitFor(pattern, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`))
        }, ms)
        const check = (): void => {
          const match = output.match(pattern)
          if (match) {
            clearTimeout(timer)
            waiters.delete(check)
            resolve(match)
          }
        }
        waiters.add(check)
        check()
      })
    },
  }
}

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'soundline-cli-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('starts infra and services, reports readiness, stops everything on SIGTERM', async (t) => {
  const dir = await scratch()
  await writeFile(join(dir, 'fake.mjs'), FAKE_SERVICE)
  const [port, dbPort] = [await freePort(), await freePort()]
  const run = runCli({
    SOUNDLINE_DATA_DIR: join(dir, 'data'),
    SOUNDLINE_SERVICES: JSON.stringify([{ name: 'fake-service', port, database: 'fake', dbPort, entry: join(dir, 'fake.mjs') }]),
    SOUNDLINE_S3_PORT: '0',
    KAFKA_BROKERS: '127.0.0.1:1',
    S3_ENDPOINT: '',
    FAKE_DATABASE_URL: '',
    HOST: '',
  })
  await run.waitFor(/ready in [\d.]+ s/)
  const out = run.output()
  t.match(out, new RegExp(`fake-service +\\| fake listening on 127\\.0\\.0\\.1`), 'service output is prefixed; services listen on loopback')
  t.match(out, new RegExp(`fake-service +http://127\\.0\\.0\\.1:${port} +http://127\\.0\\.0\\.1:${port}/docs +yes`))
  t.match(
    out,
    new RegExp(
      `DATABASE_URL=postgres://postgres@127\\.0\\.0\\.1:${dbPort}/postgres KAFKA_BROKERS=127\\.0\\.0\\.1:1 S3_ENDPOINT=http://127\\.0\\.0\\.1:\\d+ HOST=127\\.0\\.0\\.1`,
    ),
  )

  const db = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${dbPort}/postgres` })
  await db.connect()
  t.equal((await db.query('SELECT 1 AS one')).rows[0].one, 1, 'embedded database answers')
  await db.end()
  const s3 = out.match(/s3 +(http:\/\/127\.0\.0\.1:\d+)/)?.[1] ?? 'no s3 line'
  t.match(await (await fetch(s3)).text(), /<Error>|ListAllMyBucketsResult/, 'S3 server answers (an unsigned request gets an S3 error)')

  run.kill('SIGTERM')
  t.equal(await run.exited, 0)
  t.match(run.output(), /fake got SIGTERM[\s\S]*s3 stopped[\s\S]*postgres stopped/, 'services first, then infra')
})

t.test('a service that crashes during startup fails the start with its last lines', async (t) => {
  const dir = await scratch()
  await writeFile(join(dir, 'crash.mjs'), CRASHING_SERVICE)
  const run = runCli({
    SOUNDLINE_DATA_DIR: join(dir, 'data'),
    SOUNDLINE_SERVICES: JSON.stringify([{ name: 'crashy', port: await freePort(), entry: join(dir, 'crash.mjs') }]),
    SOUNDLINE_S3_PORT: '0',
    KAFKA_BROKERS: '127.0.0.1:1',
    S3_ENDPOINT: '',
    HOST: '0.0.0.0',
  })
  t.equal(await run.exited, 1)
  t.match(
    run.output(),
    /crashy exited during startup \(code 3\); its last lines:\nboom: cannot start on 0\.0\.0\.0/,
    'a HOST the user sets wins',
  )
  t.match(run.output(), /s3 stopped/, 'infra is stopped')
})

t.test('a taken port is reported before anything starts', async (t) => {
  const dir = await scratch()
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  const taken = (blocker.address() as { port: number }).port
  await writeFile(join(dir, 'fake.mjs'), FAKE_SERVICE)
  const run = runCli({
    SOUNDLINE_DATA_DIR: join(dir, 'data'),
    SOUNDLINE_SERVICES: JSON.stringify([{ name: 'fake-service', port: taken, entry: join(dir, 'fake.mjs') }]),
    SOUNDLINE_S3_PORT: '0',
    KAFKA_BROKERS: '127.0.0.1:1',
    S3_ENDPOINT: '',
  })
  t.equal(await run.exited, 1)
  t.match(run.output(), new RegExp(`ports already in use: ${taken} \\(fake-service\\)`))
})
