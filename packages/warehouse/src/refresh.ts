import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Duck, quoteIdent, quoteLiteral } from './duck.js'
import { deriveEvents, eventDay, type PipelineEventRow } from './events.js'
import { dayOf, readSource, type SourceSnapshot, type TableChanges } from './extract.js'
import { manifestKeys, MANIFEST_KEY, type Manifest, type RowIndex, type WarehouseStore } from './store.js'
import { EVENT_COLUMNS, SNAPSHOT_TABLES, SOURCES, TABLE_NAMES, type SourceName, type TableName } from './tables.js'

export interface RefreshOptions {
  store: WarehouseStore
  databaseUrls: Record<SourceName, string>
  tmpDir: string
  /** Called after each object a refresh writes before its manifest: where a test makes a refresh fail halfway. */
  afterWrite?: (key: string) => void | Promise<void>
}

export interface RefreshReport {
  refreshId: string
  /** false: nothing changed since the last refresh, nothing was written. */
  committed: boolean
  loaded: Record<TableName, { changed: number; deleted: number }>
  rows: Record<TableName, number>
  filesWritten: number
  filesRemoved: number
}

const emptyManifest = (): Manifest => ({
  format: 1,
  refreshId: '',
  refreshedAt: '',
  watermarks: {},
  tables: Object.fromEntries(TABLE_NAMES.map((name) => [name, { partitions: {}, rows: 0 }])) as Manifest['tables'],
})

/**
 * One refresh (docs/warehouse.md "Refresh"): read every source in its own consistent
 * snapshot, rewrite the day partitions that changed and append new events, each to a new
 * object, then commit by writing the manifest, and only then delete what it no longer names.
 */
export async function refresh(options: RefreshOptions): Promise<RefreshReport> {
  const { store } = options
  const before = await store.readManifest()
  const manifest: Manifest = structuredClone(before ?? emptyManifest())
  const refreshId = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`
  const previous = new Map<string, RowIndex>()
  for (const table of SNAPSHOT_TABLES) previous.set(table.name, await store.readIndex(before?.tables[table.name].index))

  const snapshots = new Map<SourceName, SourceSnapshot>()
  for (const source of Object.keys(SOURCES) as SourceName[]) {
    const tables = SNAPSHOT_TABLES.filter((table) => table.source === source)
    snapshots.set(source, await readSource(options.databaseUrls[source], tables, previous))
  }
  const changes = [...snapshots.values()].flatMap((snapshot) => snapshot.tables)
  const resourceSnapshot = snapshots.get('resource')
  const events = resourceSnapshot ? deriveEvents(resourceSnapshot, previous.get('resources') ?? new Map(), refreshId) : []

  const report: RefreshReport = {
    refreshId,
    committed: false,
    loaded: Object.fromEntries(TABLE_NAMES.map((name) => [name, { changed: 0, deleted: 0 }])) as RefreshReport['loaded'],
    rows: Object.fromEntries(TABLE_NAMES.map((name) => [name, manifest.tables[name].rows])) as RefreshReport['rows'],
    filesWritten: 0,
    filesRemoved: 0,
  }
  for (const change of changes) report.loaded[change.table.name] = { changed: change.changed.length, deleted: change.deleted.length }
  report.loaded.pipeline_events = { changed: events.length, deleted: 0 }
  if (events.length === 0 && changes.every((change) => change.changed.length === 0 && change.deleted.length === 0)) return report

  await mkdir(options.tmpDir, { recursive: true })
  const workDir = await mkdtemp(join(options.tmpDir, 'warehouse-refresh-'))
  const duck = await Duck.open()
  const write = async (key: string, path: string): Promise<void> => {
    await store.putFile(key, path)
    report.filesWritten++
    await options.afterWrite?.(key)
  }
  try {
    for (const change of changes) {
      if (change.changed.length === 0 && change.deleted.length === 0) continue
      await rewritePartitions(duck, change, previous.get(change.table.name) ?? new Map(), manifest, { refreshId, workDir, store, write })
      const indexKey = `_index/${change.table.name}-${refreshId}.json.gz`
      await store.writeIndex(indexKey, change.index)
      await options.afterWrite?.(indexKey)
      manifest.tables[change.table.name].index = indexKey
      manifest.tables[change.table.name].rows = change.index.size
    }
    await appendEvents(duck, events, manifest, { refreshId, workDir, store, write })
  } finally {
    duck.close()
    await rm(workDir, { recursive: true, force: true })
  }
  manifest.refreshId = refreshId
  manifest.refreshedAt = new Date().toISOString()
  for (const [source, snapshot] of snapshots) manifest.watermarks[source] = snapshot.takenAt
  await store.writeManifest(manifest)
  report.committed = true
  report.rows = Object.fromEntries(TABLE_NAMES.map((name) => [name, manifest.tables[name].rows])) as RefreshReport['rows']
  report.filesRemoved = await removeUnreferenced(store, manifest)
  return report
}

interface WriteContext {
  refreshId: string
  workDir: string
  store: WarehouseStore
  write: (key: string, path: string) => Promise<void>
}

/** Rebuilds each touched day: the day's last file less the changed and deleted ids, plus the changed rows. */
async function rewritePartitions(
  duck: Duck,
  change: TableChanges,
  previous: RowIndex,
  manifest: Manifest,
  context: WriteContext,
): Promise<void> {
  const { table } = change
  const partitions = manifest.tables[table.name].partitions
  const withDay = { ...table.columns, _day: 'VARCHAR' }
  await duck.createTable('incoming', withDay)
  const incoming = change.changed.map((row) => ({ ...row, _day: change.index.get(row.id)?.day ?? dayOf(row.created_at) }))
  await duck.insertRows('incoming', withDay, incoming, join(context.workDir, `${table.name}.ndjson`))
  await duck.createTable('replaced', { id: 'INTEGER' })
  const replacedIds = [...change.changed.map((row) => row.id), ...change.deleted]
  await duck.insertRows(
    'replaced',
    { id: 'INTEGER' },
    replacedIds.map((id) => ({ id })),
    join(context.workDir, `${table.name}-ids.ndjson`),
  )

  const days = new Set(incoming.map((row) => row._day))
  for (const id of replacedIds) {
    const day = previous.get(id)?.day
    if (day) days.add(day)
  }
  for (const day of [...days].sort()) {
    await duck.createTable('part', table.columns)
    const files: string[] = []
    for (const key of partitions[day] ?? []) {
      const path = join(context.workDir, key)
      if (!(await context.store.download(key, path))) throw new Error(`warehouse file ${key} named by ${MANIFEST_KEY} is missing`)
      files.push(path)
    }
    if (files.length)
      await duck.run(`INSERT INTO part SELECT * FROM read_parquet([${files.map(quoteLiteral).join(', ')}], hive_partitioning = false)`)
    await duck.run('DELETE FROM part WHERE id IN (SELECT id FROM replaced)')
    await duck.run(`INSERT INTO part SELECT * EXCLUDE (_day) FROM incoming WHERE _day = ${quoteLiteral(day)}`)
    const [{ n }] = (await duck.rows('SELECT count(*) AS n FROM part')) as [{ n: number }]
    if (n === 0) {
      Reflect.deleteProperty(partitions, day) // the day has no row left: no partition
      continue
    }
    const key = `${table.name}/day=${day}/part-${context.refreshId}.parquet`
    const path = join(context.workDir, `${table.name}-${day}.parquet`)
    await duck.copyToParquet(`SELECT * FROM part ORDER BY id`, path)
    await context.write(key, path)
    partitions[day] = [key]
  }
}

/** New events go to a new file in their day's partition; earlier files stay as they are. */
async function appendEvents(duck: Duck, events: PipelineEventRow[], manifest: Manifest, context: WriteContext): Promise<void> {
  if (events.length === 0) return
  const table = manifest.tables.pipeline_events
  await duck.createTable('events', EVENT_COLUMNS)
  await duck.insertRows('events', EVENT_COLUMNS, events, join(context.workDir, 'events.ndjson'))
  for (const day of [...new Set(events.map(eventDay))].sort()) {
    const key = `pipeline_events/day=${day}/part-${context.refreshId}.parquet`
    const path = join(context.workDir, `events-${day}.parquet`)
    await duck.copyToParquet(
      `SELECT * FROM events WHERE strftime(occurred_at, '%Y-%m-%d') = ${quoteLiteral(day)} ORDER BY occurred_at, ${quoteIdent('event_id')}`,
      path,
    )
    await context.write(key, path)
    table.partitions[day] = [...(table.partitions[day] ?? []), key]
  }
  table.rows += events.length
}

/**
 * After the commit: deletes what the manifest no longer names, the files it replaced and
 * whatever a refresh that died before its commit left. One refresh at a time (the CronJob
 * forbids overlap), so nothing listed here is still being written.
 */
async function removeUnreferenced(store: WarehouseStore, manifest: Manifest): Promise<number> {
  const keep = manifestKeys(manifest)
  const stale = (await store.listKeys()).filter((key) => !keep.has(key))
  for (const key of stale) await store.delete(key)
  return stale.length
}
