import { fileURLToPath } from 'node:url'
import { freePort } from '@soundline/dev-stack/infra'
import { firstLine, profileArgs, startNode, waitForHttp, type Child } from '../children.js'
import { runLoad, type LoadResult } from '../load.js'
import { fixed, table } from '../report.js'
import { exampleSong } from '../song.js'
import type { FigureKey, Figures } from '../figures.js'

const repoFile = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url))
const childScript = (name: string) => fileURLToPath(new URL(`../children/${name}.js`, import.meta.url))

interface Row {
  target: string
  database: string
  result: LoadResult
  baseline: LoadResult
}

async function startPglite(): Promise<{ url: string; child: Child }> {
  const child = startNode(childScript('pglite-server'), {})
  const { port } = JSON.parse(await firstLine(child)) as { port: number }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, child }
}

async function startSongService(databaseUrl: string, label: string): Promise<{ base: string; child: Child }> {
  const port = await freePort()
  const child = startNode(
    repoFile('services/song-service/dist/server.js'),
    { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl },
    profileArgs(label),
  )
  const base = `http://127.0.0.1:${port}`
  await waitForHttp(`${base}/health/ready`)
  return { base, child }
}

const song = (id: number) => JSON.stringify(exampleSong(id))

/**
 * GET /songs/{id} and POST /songs at 50 connections, next to a bare Fastify
 * route answering a constant, measured in the same run: the ratio is the figure.
 */
export async function benchSongService(options: { durationSeconds: number; postgresUrl?: string }, figures: Figures): Promise<string> {
  const baselinePort = await freePort()
  const baseline = startNode(childScript('baseline-server'), { PORT: String(baselinePort) })
  await waitForHttp(`http://127.0.0.1:${baselinePort}/constant`)
  const rows: Row[] = []
  try {
    const constantGet = await runLoad({ url: `http://127.0.0.1:${baselinePort}/constant`, durationSeconds: options.durationSeconds })
    const constantPost = await runLoad({
      url: `http://127.0.0.1:${baselinePort}/constant`,
      method: 'POST',
      durationSeconds: options.durationSeconds,
      body: () => song(1),
    })

    const databases: { name: string; figure: FigureKey; start: () => Promise<{ url: string; child?: Child }> }[] = [
      { name: 'PGlite', figure: 'song_get_ratio_pglite', start: startPglite },
    ]
    if (options.postgresUrl)
      databases.push({
        name: 'PostgreSQL',
        figure: 'song_get_ratio_postgres',
        start: async () => ({ url: await freshDatabase(options.postgresUrl ?? '') }),
      })

    for (const database of databases) {
      const db = await database.start()
      const service = await startSongService(db.url, `song-service-${database.name.toLowerCase()}`)
      try {
        await fetch(`${service.base}/songs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: song(1) })
        const get = await runLoad({ url: `${service.base}/songs/1`, durationSeconds: options.durationSeconds })
        let nextId = 1_000
        const post = await runLoad({
          url: `${service.base}/songs`,
          method: 'POST',
          durationSeconds: options.durationSeconds,
          body: () => song(nextId++),
        })
        rows.push({ target: 'GET /songs/{id}', database: database.name, result: get, baseline: constantGet })
        figures.set(database.figure, get.requestsPerSecond / constantGet.requestsPerSecond)
        rows.push({ target: 'POST /songs', database: database.name, result: post, baseline: constantPost })
      } finally {
        await service.child.stop()
        await db.child?.stop()
      }
    }
  } finally {
    await baseline.stop()
  }
  return table(
    ['endpoint', 'database', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'baseline req/s', 'baseline p50/p99 ms', 'ratio (req/s)'],
    rows.map(({ target, database, result, baseline }) => [
      target,
      database,
      fixed(result.requestsPerSecond, 0),
      fixed(result.p50Ms),
      fixed(result.p99Ms),
      result.errors + result.non2xx,
      fixed(baseline.requestsPerSecond, 0),
      `${fixed(baseline.p50Ms)} / ${fixed(baseline.p99Ms)}`,
      fixed(result.requestsPerSecond / baseline.requestsPerSecond, 2),
    ]),
  )
}

async function freshDatabase(serverUrl: string): Promise<string> {
  const { default: pg } = await import('pg')
  const name = `bench_${Date.now()}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}
