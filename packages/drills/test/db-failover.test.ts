// The db-failover drill in its short form: the Song database on a real local
// HA PostgreSQL (3 PostgreSQL 15 nodes under Patroni with etcd, HAProxy in
// front; installed by packages/dev-stack/scripts/install-ha.sh), its primary
// SIGKILLed under upload load. It must pass its full verdict (the CLI's criteria).
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runDbFailover } from '../src/db-failover/run.js'
import { shortForm } from './short-form.js'

// The HA cluster (~20 s), the stack (~30 s), ~30 s of load and the settling.
t.setTimeout(300_000)

const outDir = join(tmpdir(), `soundline-db-failover-test-${process.pid}`)
t.teardown(() => rm(outDir, { recursive: true, force: true }))

const report = await runDbFailover({
  ...shortForm(outDir, (line) => t.comment(line)),
  warmupSeconds: 6,
  // Promotion, writes back and a synchronous standby again: ~10 s on a busy 2-core machine.
  faultSeconds: 12,
})

for (const criterion of report.criteria) t.ok(criterion.pass, `${criterion.name}: ${criterion.actual}`)
if (!report.passed) t.comment(report.text)
