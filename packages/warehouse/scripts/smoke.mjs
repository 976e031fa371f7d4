#!/usr/bin/env node
// npm run warehouse:smoke: the warehouse against `npm start`'s whole stack (docs/warehouse.md),
// on a fresh data directory: MP3s uploaded through the Resource Service and processed by the
// pipeline, `warehouse refresh`, then `warehouse sql` must give the Song Service's live count;
// again after a deletion; a third refresh must load nothing. Exit 0 only on PASS.
// Needs `npm run build` first and the stack's ports free (it is `npm start`).
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeMp3 } from '@soundline/dev-stack/testing'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const ALBUM = 'Warehouse Smoke'
const RESOURCES = 'http://127.0.0.1:8081'
const dataDir = mkdtempSync(join(tmpdir(), 'warehouse-smoke-'))
const bucket = `warehouse-smoke-${Date.now()}`

const stack = spawn(process.execPath, ['packages/dev-stack/dist/cli.js', '--fresh'], {
  cwd: root,
  env: { ...process.env, SOUNDLINE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
const ready = new Promise((resolve, reject) => {
  let seen = ''
  stack.stdout.on('data', (chunk) => {
    seen = (seen + chunk.toString()).slice(-4096)
    if (seen.includes('Ctrl-C stops everything')) resolve(undefined)
  })
  stack.once('exit', (code) => reject(new Error(`the stack exited (${code}) before it was ready`)))
  setTimeout(() => reject(new Error('the stack was not ready within 10 minutes')), 600_000).unref()
})

function warehouse(...args) {
  const run = spawnSync(process.execPath, ['packages/warehouse/dist/cli.js', ...args], {
    cwd: root,
    env: { ...process.env, WAREHOUSE_BUCKET: bucket, LOG_LEVEL: 'warn', NODE_NO_WARNINGS: '1' },
    encoding: 'utf8',
  })
  if (run.status !== 0) throw new Error(`warehouse ${args[0]} failed (${run.status}): ${run.stderr}`)
  process.stdout.write(
    `$ npm run warehouse -- ${args.map((arg) => (arg.includes(' ') ? JSON.stringify(arg) : arg)).join(' ')}\n${run.stdout}`,
  )
  return JSON.parse(run.stdout)
}

async function upload(index) {
  const body = makeMp3({ title: `smoke ${index}`, artist: 'Soundline', album: ALBUM, year: '2026', seed: 100 + index })
  const answer = await fetch(`${RESOURCES}/resources`, { method: 'POST', headers: { 'content-type': 'audio/mpeg' }, body })
  if (answer.status !== 200) throw new Error(`upload answered ${answer.status}`)
  const { id } = await answer.json()
  for (let tries = 0; tries < 600; tries++) {
    const status = await (await fetch(`${RESOURCES}/resources/${id}/status`)).json()
    if (status.state === 'PERMANENT') return id
    if (status.state === 'FAILED') throw new Error(`resource ${id} FAILED: ${status.reason}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`resource ${id} did not reach PERMANENT`)
}

const count = `select count(*) as n from songs where album = '${ALBUM}'`
let failures = 0
let passes = 0
function check(what, actual, expected) {
  const ok = JSON.stringify(actual) === JSON.stringify(expected)
  if (ok) passes++
  else failures++
  console.log(`${ok ? 'ok' : 'FAILED'}: ${what}: ${JSON.stringify(actual)}${ok ? '' : ` (expected ${JSON.stringify(expected)})`}`)
}

try {
  await ready
  const ids = []
  for (let index = 0; index < 3; index++) ids.push(await upload(index))
  warehouse('refresh')
  check('live count after uploads', warehouse('sql', count), [{ n: 3 }])
  const deleted = await fetch(`${RESOURCES}/resources?id=${ids[0]}`, { method: 'DELETE' })
  check('delete answered', deleted.status, 200)
  ids.push(await upload(3))
  warehouse('refresh')
  check('live count after a deletion and an upload', warehouse('sql', count), [{ n: 3 }])
  check('a refresh right after loads nothing', warehouse('refresh').committed, false)
} catch (error) {
  failures++
  console.error(error)
} finally {
  stack.kill('SIGINT')
  await new Promise((resolve) => (stack.exitCode === null ? stack.once('exit', resolve) : resolve(undefined)))
  rmSync(dataDir, { recursive: true, force: true })
}
console.log(`warehouse smoke: ${failures === 0 ? 'PASS' : 'FAIL'} (${passes} passed, ${failures} failed)`)
process.exitCode = failures === 0 ? 0 : 1
