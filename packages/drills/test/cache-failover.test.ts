// The cache-failover drill in its short form: its own stack (a Redis Cluster of
// 3 masters + 3 replicas, the Song Service, the gateway), a master SIGKILLed
// under reads; the full verdict of `npm run drill -- cache-failover` must pass.
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { cacheFailoverDrill } from '../src/cache-failover/index.js'

// Stack start (20 s idle, up to 110 s seen on a loaded 2-core machine), 5 s of warm-up, the failover (~4 s
// at a 2 s node timeout), 6 s after it.
t.setTimeout(360_000)

const outDir = join(tmpdir(), `soundline-cache-drill-test-${process.pid}`)
t.teardown(() => rm(outDir, { recursive: true, force: true }))

const report = await cacheFailoverDrill({
  rate: 50,
  songs: 200,
  warmupSeconds: 5,
  afterSeconds: 6,
  nodeTimeoutMs: 2_000,
  outDir,
  onProgress: (line) => t.comment(line),
})

for (const criterion of report.criteria) t.ok(criterion.pass, `${criterion.name}: ${criterion.actual}`)
if (!report.passed) t.comment(report.text)
