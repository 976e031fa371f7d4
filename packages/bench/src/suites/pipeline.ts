// The upload path end to end on a private stack. Each figure has its
// baseline from the same run: the S3 server's own PutObject rate for the same
// bytes, the Resource Service's idle RSS, a raw PUT's latency.
import { createHash } from 'node:crypto'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import autocannon from 'autocannon'
import { createLogger, createS3Client, ensureBucket } from '@soundline/platform'
import { mp3OfSize } from '../mp3-sized.js'
import { percentile } from '@soundline/dev-stack/stats'
import { startPipelineStack, type PipelineStack } from '../pipeline-stack.js'
import { profileArgs } from '../children.js'
import { fixed, table } from '../report.js'
import { peakRssDuring, rssOf } from '../rss.js'
import type { FigureKey, Figures } from '../figures.js'

const MIB = 1024 * 1024
const RAW_BUCKET = 'bench-raw'
const CONCURRENCY = 8
/** Files per throughput batch: enough bytes for a few seconds at a few hundred MiB/s. */
const THROUGHPUT_CASES: { size: number; files: number; paused: FigureKey; running: FigureKey }[] = [
  { size: 1 * MIB, files: 128, paused: 'upload_ratio_1mib_processor_paused', running: 'upload_ratio_1mib_processor_running' },
  { size: 20 * MIB, files: 24, paused: 'upload_ratio_20mib_processor_paused', running: 'upload_ratio_20mib_processor_running' },
]
const BIG_FILE = 200 * MIB
const RSS_EVERY_MS = 50
const RATE_PER_SECOND = 5
const LOAD_SECONDS = 20
const POLL_MS = 25
/** A resource not PERMANENT by then counts as failed; bounds every wait of the suite. */
const PIPELINE_DEADLINE_MS = 60_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const mib = (bytes: number) => (Number.isNaN(bytes) ? 'n/a' : `${fixed(bytes / MIB)} MiB`)

/** Runs `count` tasks, at most `concurrency` at a time; returns the wall time in seconds. */
async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++)
    }),
  )
  return (performance.now() - started) / 1000
}

async function upload(base: string, body: Buffer): Promise<number> {
  const response = await fetch(`${base}/resources`, { method: 'POST', headers: { 'content-type': 'audio/mpeg' }, body })
  const answer = (await response.json()) as { id?: number; message?: string }
  if (response.status !== 200 || answer.id === undefined) throw new Error(`upload answered ${response.status}: ${JSON.stringify(answer)}`)
  return answer.id
}

async function rawPut(s3: S3Client, key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: RAW_BUCKET, Key: key, Body: body, ContentType: 'audio/mpeg' }))
}

interface Status {
  state: 'STAGING' | 'PERMANENT' | 'FAILED'
  sha256: string
  failureReason?: string | null
}

async function status(base: string, id: number): Promise<Status> {
  const response = await fetch(`${base}/resources/${id}/status`)
  if (response.status !== 200) throw new Error(`status of ${id} answered ${response.status}`)
  return (await response.json()) as Status
}

/** Polls until the resource left STAGING (or the deadline passed); its final status. */
async function settled(base: string, id: number, deadline = Date.now() + PIPELINE_DEADLINE_MS): Promise<Status> {
  for (;;) {
    const current = await status(base, id)
    if (current.state !== 'STAGING' || Date.now() > deadline) return current
    await sleep(POLL_MS)
  }
}

/** Waits until every resource is processed, so one measurement's background work does not slow the next. */
async function drain(base: string, ids: number[]): Promise<number> {
  const deadline = Date.now() + PIPELINE_DEADLINE_MS
  let permanent = 0
  for (const id of ids) if ((await settled(base, id, deadline)).state === 'PERMANENT') permanent++
  return permanent
}

/**
 * `files` uploads through the Resource Service at CONCURRENCY connections,
 * driven by autocannon (a fixed amount, not a duration: every run sends the
 * same bytes); returns the wall time and the new resources' ids.
 */
async function uploadLoad(base: string, body: Buffer, files: number): Promise<{ seconds: number; ids: number[] }> {
  const ids: number[] = []
  const started = performance.now()
  const result = await autocannon({
    url: `${base}/resources`,
    method: 'POST',
    connections: CONCURRENCY,
    amount: files,
    // autocannon's default is 10 s: a 20 MiB upload at 8 concurrent on a loaded 2-core machine takes longer.
    timeout: PIPELINE_DEADLINE_MS / 1000,
    headers: { 'content-type': 'audio/mpeg' },
    body,
    requests: [
      {
        onResponse: (status, answer) => {
          if (status === 200) ids.push((JSON.parse(answer) as { id: number }).id)
        },
      },
    ],
  })
  const seconds = (performance.now() - started) / 1000
  const failed = result.errors + result.timeouts + result.non2xx
  if (failed > 0)
    throw new Error(`${failed} of ${files} uploads failed (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`)
  return { seconds, ids }
}

/** One batch of uploads through the Resource Service, then waits until it is processed. */
async function serviceBatch(
  stack: PipelineStack,
  body: Buffer,
  files: number,
  pauseProcessor: boolean,
): Promise<{ seconds: number; permanent: number }> {
  if (pauseProcessor) process.kill(stack.processorPid, 'SIGSTOP')
  let batch: { seconds: number; ids: number[] }
  try {
    batch = await uploadLoad(stack.resourceService, body, files)
  } finally {
    if (pauseProcessor) process.kill(stack.processorPid, 'SIGCONT')
  }
  return { seconds: batch.seconds, permanent: await drain(stack.resourceService, batch.ids) }
}

async function throughput(stack: PipelineStack, s3: S3Client, figures: Figures): Promise<string> {
  const rows: (string | number)[][] = []
  for (const { size, files, ...keys } of THROUGHPUT_CASES) {
    const body = mp3OfSize(size)
    const totalMib = (files * body.length) / MIB
    // Warm-up (connections, JIT, the storage list cache), not counted.
    const warm: number[] = []
    await pool(CONCURRENCY, CONCURRENCY, async (i) => {
      await rawPut(s3, `warm/${size}/${i}`, body)
      warm.push(await upload(stack.resourceService, body))
    })
    await drain(stack.resourceService, warm)

    const rawSeconds = await pool(files, CONCURRENCY, (i) => rawPut(s3, `raw/${size}/${i}`, body))
    // Once with the processor frozen (the upload path alone), once with it working through the batch meanwhile.
    const paused = await serviceBatch(stack, body, files, true)
    const running = await serviceBatch(stack, body, files, false)
    const raw = totalMib / rawSeconds
    const rate = (seconds: number) => totalMib / seconds
    figures.set(keys.paused, rate(paused.seconds) / raw)
    figures.set(keys.running, rate(running.seconds) / raw)
    rows.push([
      mib(body.length),
      `${files} x ${CONCURRENCY} conc.`,
      fixed(raw, 0),
      fixed(rate(paused.seconds), 0),
      fixed(rate(paused.seconds) / raw, 2),
      fixed(rate(running.seconds), 0),
      fixed(rate(running.seconds) / raw, 2),
      `${paused.permanent + running.permanent}/${2 * files}`,
    ])
  }
  return table(
    [
      'file size',
      'files',
      'raw S3 PutObject MiB/s (baseline)',
      'POST /resources MiB/s, processor paused',
      'ratio',
      'POST /resources MiB/s, processor running',
      'ratio',
      'PERMANENT after',
    ],
    rows,
  )
}

async function memory(stack: PipelineStack, startupRss: number): Promise<string> {
  const body = mp3OfSize(BIG_FILE)
  const sha256 = createHash('sha256').update(body).digest('hex')
  const pid = stack.resourcePid
  await sleep(1_000) // let the previous phase's garbage settle before the baseline
  const before = await rssOf(pid)
  let id = 0
  const up = await peakRssDuring(pid, RSS_EVERY_MS, async () => {
    id = await upload(stack.resourceService, body)
  })
  // The processor downloads the file through the Resource Service, then it is moved: sampled too.
  let final: Status | undefined
  const processing = await peakRssDuring(pid, RSS_EVERY_MS, async () => {
    final = await settled(stack.resourceService, id)
  })
  let received = 0
  const hash = createHash('sha256')
  const down = await peakRssDuring(pid, RSS_EVERY_MS, async () => {
    const response = await fetch(`${stack.resourceService}/resources/${id}`)
    for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
      received += part.length
      hash.update(part)
    }
  })
  const intact = received === body.length && hash.digest('hex') === sha256 && final?.sha256 === sha256
  const row = (what: string, result: { peak: number; samples: number; seconds: number }, megabytes: number) => [
    what,
    fixed(result.seconds, 2),
    megabytes ? fixed(megabytes / result.seconds, 0) : '-',
    result.samples,
    mib(result.peak),
    mib(result.peak - before),
  ]
  return [
    `file: ${mib(body.length)} MP3, MAX_UPLOAD_BYTES=300 MiB, RSS sampled every ${RSS_EVERY_MS} ms; RSS right after start-up: ${mib(startupRss)}, before this file (baseline): ${mib(before)}; ` +
      `final state ${final?.state ?? 'unknown'}, download ${intact ? 'byte-identical (sha256)' : `NOT intact (${received} bytes)`}`,
    '',
    table(
      ['Resource Service phase', 'seconds', 'MiB/s', 'samples', 'peak RSS', 'peak over baseline'],
      [
        row('upload (POST /resources)', up, body.length / MIB),
        row('processing (processor download + move)', processing, 0),
        row('download (GET /resources/{id})', down, received / MIB),
      ],
    ),
  ].join('\n')
}

interface Timing {
  uploadMs: number
  toSongMs: number
  restMs: number
  totalMs: number
}

/** One upload followed to PERMANENT: polls the status and the processor's song every POLL_MS. */
async function followOne(stack: PipelineStack, body: Buffer): Promise<Timing | string> {
  const started = performance.now()
  const id = await upload(stack.resourceService, body)
  const uploaded = performance.now()
  const deadline = Date.now() + PIPELINE_DEADLINE_MS
  let songAt = Number.NaN
  const song = (async () => {
    while (Date.now() < deadline) {
      const response = await fetch(`${stack.songService}/songs/${id}`)
      await response.arrayBuffer()
      if (response.status === 200) return (songAt = performance.now())
      await sleep(POLL_MS)
    }
  })()
  const final = await settled(stack.resourceService, id, deadline)
  const permanentAt = performance.now()
  await song
  if (final.state !== 'PERMANENT') return `${id}: ${final.state} ${final.failureReason ?? ''}`
  // A song seen only after PERMANENT (poll phase) counts as arriving at PERMANENT.
  const songMs = Math.min(songAt, permanentAt)
  return { uploadMs: uploaded - started, toSongMs: songMs - uploaded, restMs: permanentAt - songMs, totalMs: permanentAt - started }
}

/**
 * Starts `RATE_PER_SECOND` tasks a second for `seconds`, on a fixed schedule
 * (open loop). Hand-written rather than autocannon: the figure is upload ->
 * PERMANENT, which ends after the response (status and song polled per
 * upload), and the baseline is the SDK's PutObject; autocannon measures one
 * request's response and cannot follow each upload afterwards.
 */
async function steady<T>(seconds: number, task: () => Promise<T>): Promise<T[]> {
  const count = RATE_PER_SECOND * seconds
  const started = performance.now()
  const running: Promise<T>[] = []
  for (let i = 0; i < count; i++) {
    await sleep(Math.max(0, started + (i * 1000) / RATE_PER_SECOND - performance.now()))
    running.push(task())
  }
  return Promise.all(running)
}

async function latency(stack: PipelineStack, s3: S3Client, figures: Figures): Promise<string> {
  const body = mp3OfSize(MIB)
  // Baseline: the same bytes PUT straight to the S3 server at the same rate, for a few seconds.
  let key = 0
  const raw = await steady(4, async () => {
    const started = performance.now()
    await rawPut(s3, `latency/${key++}`, body)
    return performance.now() - started
  })
  const results = await steady(LOAD_SECONDS, () => followOne(stack, body).catch((error: unknown) => String(error)))
  const timings = results.filter((result): result is Timing => typeof result !== 'string')
  const failures = results.filter((result): result is string => typeof result === 'string')
  const line = (what: string, values: number[], baseline?: number) => [
    what,
    fixed(percentile(values, 50), 0),
    fixed(percentile(values, 95), 0),
    fixed(Math.max(...values), 0),
    baseline === undefined ? '' : fixed(percentile(values, 50) / baseline, 1),
  ]
  const rawP50 = percentile(raw, 50)
  const totals = timings.map((t) => t.totalMs)
  figures.set('permanent_p50_ms', percentile(totals, 50))
  figures.set('permanent_p95_ms', percentile(totals, 95))
  return [
    `${results.length} uploads of ${mib(body.length)} at ${RATE_PER_SECOND}/s for ${LOAD_SECONDS} s, status and song polled every ${POLL_MS} ms; ` +
      `${timings.length} PERMANENT, ${failures.length} not${failures.length ? ` (${failures.slice(0, 3).join('; ')})` : ''}`,
    '',
    table(
      ['ms', 'p50', 'p95', 'max', 'p50 / raw PUT p50'],
      [
        line(`baseline: raw S3 PutObject (${raw.length} at ${RATE_PER_SECOND}/s)`, raw, rawP50),
        line(
          'upload response (POST /resources)',
          timings.map((t) => t.uploadMs),
          rawP50,
        ),
        line(
          '  then to the song (Kafka + processor)',
          timings.map((t) => t.toSongMs),
        ),
        line(
          '  then to PERMANENT (event back + move)',
          timings.map((t) => t.restMs),
        ),
        line(
          'upload -> PERMANENT',
          timings.map((t) => t.totalMs),
          rawP50,
        ),
      ],
    ),
  ].join('\n')
}

export async function benchPipeline(figures: Figures): Promise<string> {
  // The bench process's own S3 client; the services get the same variable from the stack.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const stack = await startPipelineStack({
    resourceEnv: { MAX_UPLOAD_BYTES: String(300 * MIB) },
    // BENCH_PROFILE_DIR: the Resource Service writes a V8 CPU profile there when it stops (docs/performance.md).
    resourceNodeArgs: profileArgs('resource-service'),
  })
  const startupRss = await rssOf(stack.resourcePid)
  figures.set('resource_rss_after_start_mib', startupRss / MIB)
  const s3 = createS3Client({
    endpoint: stack.s3Endpoint,
    region: 'us-east-1',
    accessKeyId: 'test',
    secretAccessKey: 'test',
    forcePathStyle: true,
  })
  try {
    await ensureBucket(s3, RAW_BUCKET, createLogger({ service: 'bench', level: 'warn' }))
    const sections: string[][] = []
    // The peak over the whole suite (throughput batches included), sampled less often than the 200 MiB phase.
    const whole = await peakRssDuring(stack.resourcePid, 4 * RSS_EVERY_MS, async () => {
      sections.push(['Upload throughput, concurrency 8 (same files, same S3 server, same run)', await throughput(stack, s3, figures)])
      sections.push(['Resource Service memory while 200 MiB go up and come down', await memory(stack, startupRss)])
      sections.push(['Upload -> PERMANENT latency under steady load', await latency(stack, s3, figures)])
    })
    figures.set('resource_rss_peak_mib', whole.peak / MIB)
    sections.push([
      'Resource Service RSS over the whole suite',
      `right after start-up: ${mib(startupRss)}; peak: ${mib(whole.peak)} (${whole.samples} samples over ${fixed(whole.seconds, 0)} s)`,
    ])
    return sections.map(([title, body]) => `### ${title}\n\n${body}`).join('\n\n')
  } finally {
    s3.destroy()
    await stack.stop()
  }
}
