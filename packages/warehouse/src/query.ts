import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Json } from '@duckdb/node-api'
import { columnDefinitions, Duck, quoteIdent, quoteLiteral } from './duck.js'
import type { Manifest, WarehouseStore } from './store.js'
import { TABLE_NAMES, tableColumns } from './tables.js'

/** A refresh may delete the files of the manifest just read; reading again finds the new ones. */
const ATTEMPTS = 3

/**
 * Runs one SQL statement over the warehouse as the manifest names it: its files are
 * downloaded (DuckDB's S3 access, the httpfs extension, cannot be installed offline:
 * docs/warehouse.md) and each table is a view over its day partitions.
 */
export async function query(store: WarehouseStore, sql: string, tmpDir: string): Promise<Record<string, Json>[]> {
  await mkdir(tmpDir, { recursive: true })
  for (let attempt = 1; ; attempt++) {
    const workDir = await mkdtemp(join(tmpDir, 'warehouse-query-'))
    try {
      const manifest = await store.readManifest()
      const files = await downloadAll(store, manifest, workDir)
      if (files) return await runQuery(files, sql)
      if (attempt === ATTEMPTS) throw new Error('the warehouse kept changing while it was read; try again')
    } finally {
      await rm(workDir, { recursive: true, force: true })
    }
  }
}

/** Table → local Parquet files; undefined when a file the manifest names is gone (a refresh replaced it). */
async function downloadAll(
  store: WarehouseStore,
  manifest: Manifest | undefined,
  workDir: string,
): Promise<Map<string, string[]> | undefined> {
  const files = new Map<string, string[]>()
  for (const name of TABLE_NAMES) {
    const paths: string[] = []
    for (const keys of Object.values(manifest?.tables[name]?.partitions ?? {}))
      for (const key of keys) {
        const path = join(workDir, key)
        if (!(await store.download(key, path))) return undefined
        paths.push(path)
      }
    files.set(name, paths)
  }
  return files
}

async function runQuery(files: Map<string, string[]>, sql: string): Promise<Record<string, Json>[]> {
  const duck = await Duck.open()
  try {
    for (const [name, paths] of files) {
      const columns = tableColumns(name as (typeof TABLE_NAMES)[number])
      if (paths.length === 0) {
        // No refresh yet, or an empty table: the same columns, no rows.
        await duck.run(`CREATE TABLE ${quoteIdent(name)} (${columnDefinitions(columns)})`)
        continue
      }
      const list = `[${paths.map(quoteLiteral).join(', ')}]`
      await duck.run(
        `CREATE VIEW ${quoteIdent(name)} AS SELECT ${Object.keys(columns).map(quoteIdent).join(', ')} ` +
          `FROM read_parquet(${list}, hive_partitioning = true, hive_types = {'day': DATE})`,
      )
    }
    return await duck.rows(sql)
  } finally {
    duck.close()
  }
}
