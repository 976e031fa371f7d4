// The warehouse's tables (docs/warehouse.md "Tables"): where each comes from and its
// columns. Snapshot tables mirror a service table's current rows; pipeline_events is
// append-only. Every table is partitioned by day (`day`, a Hive partition column).

/** A service database the warehouse reads: its variable and its registry service. */
export const SOURCES = {
  song: { variable: 'SONG_DATABASE_URL', service: 'song-service' },
  resource: { variable: 'RESOURCE_DATABASE_URL', service: 'resource-service' },
  storage: { variable: 'STORAGE_DATABASE_URL', service: 'storage-service' },
} as const
export type SourceName = keyof typeof SOURCES

export type SnapshotTableName = 'songs' | 'resources' | 'storages'
export type TableName = SnapshotTableName | 'pipeline_events'

/** UTC ISO 8601 text, so no client time zone can shift a timestamp. */
function iso(column: string, withTimeZone: boolean): string {
  const utc = withTimeZone ? `${column} at time zone 'UTC'` : column // Prisma writes `timestamp` columns in UTC
  return `to_char(${utc}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${column}`
}

export interface SnapshotTable {
  name: SnapshotTableName
  source: SourceName
  /** The service's table. */
  from: string
  /** Select list over the service's table (alias t), in warehouse column order. */
  select: string
  /** DuckDB types of the warehouse columns (without `day`), for reading extracted rows. */
  columns: Record<string, string>
}

export const SNAPSHOT_TABLES: readonly SnapshotTable[] = [
  {
    name: 'songs',
    source: 'song',
    from: 'songs',
    select: `id, name, artist, album, duration, year, ${iso('created_at', false)}`,
    columns: {
      id: 'INTEGER',
      name: 'VARCHAR',
      artist: 'VARCHAR',
      album: 'VARCHAR',
      duration: 'VARCHAR',
      year: 'VARCHAR',
      created_at: 'TIMESTAMPTZ',
    },
  },
  {
    name: 'resources',
    source: 'resource',
    from: 'resources',
    // idempotency_key stays out: it is the client's, not analytics.
    select:
      'id, state::text as state, storage_id, bucket, key, staging_bucket, staging_key, size::text as size, sha256, failure_reason, ' +
      `${iso('created_at', true)}, ${iso('updated_at', true)}`,
    columns: {
      id: 'INTEGER',
      state: 'VARCHAR',
      storage_id: 'INTEGER',
      bucket: 'VARCHAR',
      key: 'VARCHAR',
      staging_bucket: 'VARCHAR',
      staging_key: 'VARCHAR',
      size: 'BIGINT',
      sha256: 'VARCHAR',
      failure_reason: 'VARCHAR',
      created_at: 'TIMESTAMPTZ',
      updated_at: 'TIMESTAMPTZ',
    },
  },
  {
    name: 'storages',
    source: 'storage',
    from: 'storages',
    select: `id, storage_type::text as storage_type, bucket, path, ${iso('created_at', false)}`,
    columns: { id: 'INTEGER', storage_type: 'VARCHAR', bucket: 'VARCHAR', path: 'VARCHAR', created_at: 'TIMESTAMPTZ' },
  },
]

export type EventType = 'uploaded' | 'permanent' | 'failed' | 'deleting' | 'deleted'

/** pipeline_events' columns (without `day`). */
export const EVENT_COLUMNS: Record<string, string> = {
  event_id: 'VARCHAR',
  type: 'VARCHAR',
  resource_id: 'INTEGER',
  occurred_at: 'TIMESTAMPTZ',
  size: 'BIGINT',
  reason: 'VARCHAR',
  refresh_id: 'VARCHAR',
}

/** Every table's columns as the `sql` command shows them (with `day`). */
export function tableColumns(name: TableName): Record<string, string> {
  const columns = name === 'pipeline_events' ? EVENT_COLUMNS : (SNAPSHOT_TABLES.find((table) => table.name === name)?.columns ?? {})
  return { ...columns, day: 'DATE' }
}

export const TABLE_NAMES: readonly TableName[] = ['songs', 'resources', 'storages', 'pipeline_events']
