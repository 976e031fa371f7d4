// Every failure drill in its short form, on one private stack: a real Kafka
// broker, PGlite databases, an S3 server and the four services as processes.
// Each scenario must pass its full verdict (the same criteria as the CLI).
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runDrills } from '../src/run.js'
import { SCENARIO_NAMES } from '../src/scenarios.js'
import { shortForm } from './short-form.js'

// Stack start (~30 s) plus five drills of ~16 s load and their settling, and delete-saga
// (~90 s: it waits for the killed Resource Service's 30 s claims on its sagas).
t.setTimeout(540_000)

const outDir = join(tmpdir(), `soundline-drills-test-${process.pid}`)
t.teardown(() => rm(outDir, { recursive: true, force: true }))

const reports = await runDrills({
  ...shortForm(outDir, (line) => t.comment(line)),
  scenarios: SCENARIO_NAMES,
  warmupSeconds: 5,
  faultSeconds: 6,
})

SCENARIO_NAMES.forEach((name, i) => {
  const report = reports[i]
  t.test(name, async (t) => {
    t.ok(report, 'the drill ran')
    if (!report) return
    for (const criterion of report.criteria) t.ok(criterion.pass, `${criterion.name}: ${criterion.actual}`)
    if (!report.passed) t.comment(report.text)
  })
})
