import pg from 'pg'
import type { RowIndex } from './store.js'
import type { SnapshotTable } from './tables.js'

export type Row = Record<string, unknown> & { id: number }

/** What changed in one snapshot table since the index the last refresh left. */
export interface TableChanges {
  table: SnapshotTable
  /** Rows new or different since the last refresh, as they are now. */
  changed: Row[]
  /** Ids the last refresh saw that are gone now. */
  deleted: number[]
  /** The index after this refresh: every row's version and day. */
  index: RowIndex
}

export interface SourceSnapshot {
  /** The transaction's start: every table of the source was read as of this instant. */
  takenAt: string
  tables: TableChanges[]
  /** resource source only: when each deleted resource's deletion saga completed. */
  deletedAt: Map<number, string>
}

/**
 * Reads one service database in a single REPEATABLE READ READ ONLY transaction: one
 * consistent snapshot, no write and no lock that could block the service. Only the
 * (id, md5 of the row) pairs are read in full; whole rows only where the md5 differs
 * from the last refresh's index (docs/warehouse.md "Incremental loads").
 */
export async function readSource(url: string, tables: readonly SnapshotTable[], previous: Map<string, RowIndex>): Promise<SourceSnapshot> {
  const client = new pg.Client({ connectionString: url, application_name: 'soundline-warehouse' })
  await client.connect()
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const { rows: now } = await client.query<{ taken_at: string }>(
      `select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as taken_at`,
    )
    const result: TableChanges[] = []
    for (const table of tables) result.push(await readTable(client, table, previous.get(table.name) ?? new Map()))
    const resources = result.find((changes) => changes.table.name === 'resources')
    const deletedAt = resources && resources.deleted.length > 0 ? await deletionTimes(client, resources.deleted) : new Map<number, string>()
    await client.query('COMMIT')
    return { takenAt: now[0]?.taken_at ?? new Date().toISOString(), tables: result, deletedAt }
  } finally {
    await client.end()
  }
}

async function readTable(client: pg.Client, table: SnapshotTable, previous: RowIndex): Promise<TableChanges> {
  const { rows: versions } = await client.query<{ id: number; version: string }>(
    `select t.id, md5(t::text) as version from ${table.from} t`,
  )
  const changedIds = versions.filter((row) => previous.get(row.id)?.version !== row.version).map((row) => row.id)
  const present = new Set(versions.map((row) => row.id))
  const deleted = [...previous.keys()].filter((id) => !present.has(id))
  const changed = changedIds.length
    ? (await client.query<Row>(`select ${table.select} from ${table.from} t where t.id = any($1::int[]) order by t.id`, [changedIds])).rows
    : []
  const index: RowIndex = new Map(previous)
  for (const id of deleted) index.delete(id)
  const versionOf = new Map(versions.map((row) => [row.id, row.version]))
  for (const row of changed) {
    index.set(row.id, {
      version: versionOf.get(row.id) ?? '',
      day: dayOf(row.created_at),
      ...(typeof row.state === 'string' ? { state: row.state } : {}),
    })
  }
  return { table, changed, deleted, index }
}

/** A completed deletion saga is the record of when its resources' rows went (docs/consistency.md). */
async function deletionTimes(client: pg.Client, ids: number[]): Promise<Map<number, string>> {
  const { rows } = await client.query<{ id: number; completed_at: string }>(
    `select r.resource_id as id, max(to_char(s.completed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) as completed_at
       from deletion_sagas s, unnest(s.resource_ids) as r(resource_id)
      where s.state = 'COMPLETED' and s.resource_ids && $1::int[] and r.resource_id = any($1::int[])
      group by r.resource_id`,
    [ids],
  )
  return new Map(rows.map((row) => [row.id, row.completed_at]))
}

/** The partition of a row: the UTC day of its creation. */
export function dayOf(timestamp: unknown): string {
  return String(timestamp).slice(0, 10)
}
