#!/usr/bin/env node
// `npm run fuzz`: schemathesis against the OpenAPI of every service and of the
// gateway (with an admin token), on a private stack it starts and tears down:
// its own ports, data dir and admin, so its stateful phase destroys nothing
// that other tests or a running `npm start` need. Run it under test-env (which
// provides KAFKA_BROKERS and S3_ENDPOINT); ends with "fuzz: N passed, N failed",
// N counting API operations, and exits non-zero when any operation failed.
// docs/security.md says what it checks and how to read a failure.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@soundline/dev-stack/infra'
// The built-in list of `npm start`, each service moved to a free port below.
import { SERVICES } from '@soundline/dev-stack/services'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const venv = join(root, '.cache', 'fuzz-venv')
const schemathesis = join(venv, 'bin', 'schemathesis')
const requirements = join(root, 'scripts', 'fuzz', 'requirements.txt')
const pinned = /schemathesis==([\w.]+)/.exec(readFileSync(requirements, 'utf8'))?.[1] ?? ''

const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '10'
const SEED = process.env.FUZZ_SEED ?? '20260101'
const CHECKS = 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance'
const log = (line) => console.log(`fuzz | ${line}`)
const sleep = (ms) => new Promise((done) => setTimeout(done, ms))

function ensureSchemathesis() {
  const version = existsSync(schemathesis) ? spawnSync(schemathesis, ['--version'], { encoding: 'utf8' }).stdout : ''
  if (version.includes(pinned)) return
  log(`installing schemathesis ${pinned} into ${venv}`)
  const steps = [
    ['python3', ['-m', 'venv', venv]],
    [join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', requirements]],
  ]
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { stdio: 'inherit' })
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`)
  }
}

async function waitReady(url, deadline) {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url)
      if (response.status === 200) return true
    } catch {
      // not listening yet
    }
    await sleep(500)
  }
  return false
}

/** One schemathesis run; returns the operations it judged, from its JSON report. */
function runSchemathesis(target, reportPath) {
  const args = [
    'run',
    `${target.docs}/docs/json`,
    '--url',
    target.base,
    '--checks',
    CHECKS,
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--max-examples',
    MAX_EXAMPLES,
    '--seed',
    SEED,
    '--workers',
    '1',
    '--no-shrink',
    // Strict patterns (the Song Service's fields) filter many generated values, and 2 cores are slow:
    // neither says anything about the API.
    '--suppress-health-check',
    'filter_too_much,too_slow',
    '--generation-database',
    'none',
    '--request-timeout',
    '15',
    '--no-color',
    '--report',
    'json',
    '--report-json-path',
    reportPath,
    ...target.headers.flatMap((header) => ['--header', header]),
    ...target.extra,
  ]
  log(
    `${target.name}: schemathesis on ${target.docs}/docs/json at ${target.base} (seed ${SEED}, at most ${MAX_EXAMPLES} examples per operation)`,
  )
  return new Promise((done) => {
    const child = spawn(schemathesis, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_COLOR: '1' } })
    child.once('exit', (code) => done(code ?? 1))
  })
}

/**
 * Operations that passed and failed in a schemathesis JSON report: an
 * operation fails when any check on it failed; errors (schemathesis could not
 * run a case) count once each, as the report does not name their operation.
 */
function tally(reportPath) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'))
  const failed = new Set((report.failures ?? []).flatMap((failure) => failure.operations ?? []))
  for (const error of report.errors ?? []) failed.add(`(error: ${error.title} x${error.count ?? 1})`)
  const tested = report.operations?.tested ?? 0
  return { passed: Math.max(0, tested - [...failed].filter((label) => !label.startsWith('(')).length), failed }
}

async function main() {
  if (!process.env.KAFKA_BROKERS || !process.env.S3_ENDPOINT) {
    console.error('run under test-env: node packages/dev-stack/dist/test-env.js -- node scripts/fuzz/run.mjs')
    return 2
  }
  const started = Date.now()
  ensureSchemathesis()
  const scratch = await mkdtemp(join(tmpdir(), 'soundline-fuzz-'))
  const reports = join(scratch, 'reports')
  await mkdir(reports)
  const registry = []
  for (const service of SERVICES) registry.push({ ...service, port: await freePort(), ...(service.database ? { dbPort: 0 } : {}) })
  const adminPassword = randomBytes(18).toString('base64url')
  const stackLog = join(scratch, 'stack.log')
  const output = createWriteStream(stackLog)
  const stack = spawn(process.execPath, [join(root, 'packages/dev-stack/dist/cli.js')], {
    cwd: root,
    env: {
      ...process.env,
      SOUNDLINE_SERVICES: JSON.stringify(registry),
      SOUNDLINE_DATA_DIR: join(scratch, 'data'),
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
      // The fuzzer is one client sending thousands of requests a minute: not what the gateway's limit is for.
      RATE_LIMIT_MAX: '10000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  stack.stdout.pipe(output)
  stack.stderr.pipe(output)
  const stackExited = new Promise((done) => stack.once('exit', done))
  let passed = 0
  let failed = 0
  const failures = []
  try {
    const deadline = Date.now() + 180_000
    for (const service of registry) {
      if (!(await waitReady(`http://127.0.0.1:${service.port}/health/ready`, deadline))) {
        throw new Error(`${service.name} did not become ready; the stack's log: ${stackLog}`)
      }
    }
    log(`private stack ready in ${Math.round((Date.now() - started) / 1000)} s (log: ${stackLog})`)
    const gateway = `http://127.0.0.1:${registry.find((s) => s.name === 'gateway').port}`
    const login = await fetch(`${gateway}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: adminPassword }),
    })
    if (login.status !== 200) throw new Error(`admin login through the gateway answered ${login.status}`)
    const { accessToken } = await login.json()

    const base = (name) => `http://127.0.0.1:${registry.find((service) => service.name === name).port}`
    const token = [`Authorization: Bearer ${accessToken}`]
    // Each service at its own port; the gateway's own routes (its proxy routes are
    // documentation only); then every upstream's own OpenAPI through the gateway, as an admin.
    const targets = [
      ...registry.map((service) =>
        service.name === 'gateway'
          ? { name: 'gateway', docs: gateway, base: gateway, headers: token, extra: ['--exclude-tag', 'proxy'] }
          : { name: service.name, docs: base(service.name), base: base(service.name), headers: [], extra: [] },
      ),
      ...['resource-service', 'song-service', 'storage-service', 'auth-service'].map((name) => ({
        name: `gateway -> ${name}`,
        docs: base(name),
        base: gateway,
        headers: token,
        // Not routed by the gateway on purpose: services' internal routes and the JWKS (the gateway reads it itself).
        extra: ['--exclude-path-regex', '^/(internal|\\.well-known)(/|$)'],
      })),
    ]
    // A target's stateful phase may delete storages (the Storage Service's own document
    // and the gateway's allow it); the uploads of the targets after it need them. So the
    // storages present at the start are put back after every target.
    const storages = base('storage-service') + '/storages'
    const defaults = await (await fetch(storages)).json()
    const restoreStorages = async () => {
      const present = await (await fetch(storages)).json()
      for (const storage of defaults) {
        if (present.some((p) => p.storageType === storage.storageType && p.bucket === storage.bucket && p.path === storage.path)) continue
        const { storageType, bucket, path } = storage
        const answer = await fetch(storages, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ storageType, bucket, path }),
        })
        if (!answer.ok) throw new Error(`restoring the ${storageType} storage answered ${answer.status}: ${await answer.text()}`)
        log(`restored the ${storageType} storage (${bucket}${path})`)
      }
    }
    for (const target of targets) {
      await restoreStorages()
      const reportPath = join(reports, `${target.name.replace(/\W+/g, '_')}.json`)
      const begun = Date.now()
      const code = await runSchemathesis(target, reportPath)
      const result = existsSync(reportPath) ? tally(reportPath) : { passed: 0, failed: new Set(['(no report)']) }
      // Exit 2 with nothing selected: the document lists no operation (health and metrics are not in it).
      if (code !== 0 && code !== 2 && result.failed.size === 0) result.failed.add(`(schemathesis exited ${code})`)
      passed += result.passed
      failed += result.failed.size
      for (const label of result.failed) failures.push(`${target.name}: ${label}`)
      log(`${target.name}: ${result.passed} operations passed, ${result.failed.size} failed (${Math.round((Date.now() - begun) / 1000)} s)`)
    }
  } finally {
    stack.kill('SIGTERM')
    const stopped = await Promise.race([stackExited.then(() => true), sleep(30_000).then(() => false)])
    if (!stopped) stack.kill('SIGKILL')
    output.end()
    if (failed === 0 && process.env.FUZZ_KEEP !== '1') await rm(scratch, { recursive: true, force: true })
    else log(`kept for inspection: ${scratch}`)
  }
  for (const line of failures) log(`FAILED ${line}`)
  log(`took ${Math.round((Date.now() - started) / 1000)} s`)
  console.log(`fuzz: ${passed} passed, ${failed} failed`)
  return failed === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error)
    console.log('fuzz: 0 passed, 1 failed')
    process.exit(1)
  },
)
