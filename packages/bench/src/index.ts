// npm run bench: each suite measures against a baseline in the same run and
// prints a table. BENCH_DURATION (seconds per load, default 10) and
// BENCH_POSTGRES_URL (a real PostgreSQL server for the database rows) tune it;
// BENCH_ONLY=song,startup picks suites (pipeline needs Java 17 for its Kafka broker);
// BENCH_JSON=FILE also writes the headline figures as one JSON object (see figures.ts);
// BENCH_PROFILE_DIR=DIR has the services under test write V8 CPU profiles there (one per process, named after it).
import { describeMachine } from './machine.js'
import { Figures, writeFigures } from './figures.js'
import { benchGateway } from './suites/gateway.js'
import { benchSongService } from './suites/song-service.js'
import { benchStartup } from './suites/startup.js'
import { benchBreaker } from './suites/breaker.js'
import { benchPipeline } from './suites/pipeline.js'

const durationSeconds = Number(process.env.BENCH_DURATION ?? 10)
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL
const only = process.env.BENCH_ONLY?.split(',')
const jsonFile = process.env.BENCH_JSON
const figures = new Figures()

const suites: { name: string; title: string; run: (figures: Figures) => Promise<string> }[] = [
  {
    name: 'song',
    title: `Song Service vs bare Fastify, 50 connections, ${durationSeconds} s each${postgresUrl ? '' : ' (set BENCH_POSTGRES_URL for the PostgreSQL rows)'}`,
    run: (figures) => benchSongService({ durationSeconds, postgresUrl }, figures),
  },
  {
    name: 'gateway',
    title: `Gateway: GET /songs/{id} direct vs through the gateway, 50 connections (1 where the row says so), ${durationSeconds} s each; memory during 100 MB transfers`,
    run: (figures) => benchGateway({ durationSeconds }, figures),
  },
  { name: 'startup', title: 'npm start: orchestrator start to every service ready (jars cached)', run: benchStartup },
  { name: 'breaker', title: 'Circuit breakers: cost per call around an async function that resolves at once', run: benchBreaker },
  {
    name: 'pipeline',
    title:
      'Upload pipeline (private stack: PGlite, S3 server, Kafka): upload MiB/s vs raw S3 PUT, Resource Service RSS for 200 MiB, upload -> PERMANENT latency',
    run: benchPipeline,
  },
]

console.log(`Soundline benchmarks\nmachine: ${describeMachine()}\n`)
for (const suite of suites) {
  if (only && !only.includes(suite.name)) continue
  console.log(`## ${suite.title}\n`)
  console.log(await suite.run(figures))
  console.log()
  if (jsonFile) await writeFigures(jsonFile, figures)
}
