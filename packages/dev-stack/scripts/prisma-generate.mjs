#!/usr/bin/env node
// Generates the Prisma client of every schema under prisma/*/schema.prisma.
// Runs as the root `postinstall` (nothing is built yet then), so: plain Node, no
// workspace imports, only the prisma CLI from node_modules. Works offline.
// Usage: node packages/dev-stack/scripts/prisma-generate.mjs [service ...]
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const thisFile = fileURLToPath(import.meta.url)
const root = path.resolve(path.dirname(thisFile), '../../..')
const require = createRequire(path.join(root, 'package.json'))

function findPrismaCli() {
  try {
    return require.resolve('prisma/build/index.js')
  } catch {
    return null
  }
}

const cli = findPrismaCli()
if (cli === null) {
  // `npm ci --omit=dev` (runtime images) has no prisma CLI; those images copy the client built earlier.
  console.log('prisma generate: skipped, the prisma CLI (devDependency) is not installed')
  process.exit(0)
}

const wanted = process.argv.slice(2)
// Schemas that belong to no service: the platform tests' fixture (its client is what
// packages/platform/test/migrate.test.ts drives, so that test needs no service's client).
const FIXTURES = { 'platform-fixture': 'packages/platform/test/fixtures/prisma/prisma.config.ts' }
const configOf = (name) => FIXTURES[name] ?? path.join('prisma', name, 'prisma.config.ts')
const services = readdirSync(path.join(root, 'prisma'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(path.join(root, 'prisma', e.name, 'schema.prisma')))
  .map((e) => e.name)
  // Image builds have no test/ (.dockerignore), hence no fixture to generate.
  .concat(Object.keys(FIXTURES).filter((name) => existsSync(path.join(root, FIXTURES[name]))))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort()
const unknown = wanted.filter((name) => !services.includes(name))
if (unknown.length > 0) {
  console.error(`prisma generate: no prisma/<service>/schema.prisma for: ${unknown.join(', ')}`)
  process.exit(1)
}

const env = {
  ...process.env,
  // `prisma generate` downloads the native schema engine first (impossible offline) unless
  // this names an existing file. Generation itself is pure WASM and never runs that file;
  // this script is a safe stand-in (not executable, so a surprise run fails loudly).
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || thisFile,
  CHECKPOINT_DISABLE: '1', // no telemetry request
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
}

function generate(service) {
  const started = Date.now()
  const config = configOf(service)
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'generate', '--config', config], { cwd: root, env })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', (err) => resolve({ service, ok: false, output: `${output}\n${err.stack}` }))
    child.on('close', (code) => {
      const target = /to (\S+) in \d+m?s/.exec(output)?.[1] ?? '?'
      resolve({ service, ok: code === 0, output, target, ms: Date.now() - started })
    })
  })
}

const results = await Promise.all(services.map(generate))
let failed = false
for (const result of results) {
  if (result.ok) {
    console.log(`prisma generate: ${result.service} -> ${result.target} (${result.ms} ms)`)
  } else {
    failed = true
    console.error(`prisma generate: ${result.service} FAILED\n${result.output.trim()}`)
  }
}
if (services.length === 0) console.log('prisma generate: no schemas under prisma/*/schema.prisma')
process.exit(failed ? 1 : 0)
