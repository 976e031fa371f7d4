import { writeFile } from 'node:fs/promises'
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type Json } from '@duckdb/node-api'

/** DuckDB integer types whose values the JSON output turns back into numbers when they fit. */
const WIDE_INTEGERS = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT])

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`
export const quoteLiteral = (text: string): string => `'${text.replaceAll("'", "''")}'`

/** A column list for CREATE TABLE, and the `columns` struct read_json takes. */
const columnDefinitions = (columns: Record<string, string>): string =>
  Object.entries(columns)
    .map(([name, type]) => `${quoteIdent(name)} ${type}`)
    .join(', ')
const jsonColumns = (columns: Record<string, string>): string =>
  `{${Object.entries(columns)
    .map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`)
    .join(', ')}}`

/** An in-memory DuckDB: the warehouse builds and reads Parquet files with it, never keeps a database file. */
export class Duck {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<Duck> {
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    // Timestamps print in UTC whatever the machine's zone; no extension is ever fetched (none can be, offline).
    await connection.run("SET TimeZone = 'UTC'; SET autoinstall_known_extensions = false")
    return new Duck(instance, connection)
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql)
  }

  /**
   * Rows as JSON objects. BIGINT and HUGEINT values (count(*), sums, sizes) come out as
   * numbers when they are safe integers, as decimal strings beyond 2^53; dates and
   * timestamps as DuckDB prints them (UTC); lists as arrays.
   */
  async rows(sql: string): Promise<Record<string, Json>[]> {
    const reader = await this.connection.runAndReadAll(sql)
    const types = reader.columnTypes()
    const wide = reader.columnNames().filter((_, index) => WIDE_INTEGERS.has(types[index]?.typeId ?? DuckDBTypeId.INVALID))
    const rows = reader.getRowObjectsJson()
    for (const row of rows)
      for (const name of wide) {
        const value = row[name]
        if (typeof value === 'string' && Number.isSafeInteger(Number(value))) row[name] = Number(value)
      }
    return rows
  }

  async createTable(name: string, columns: Record<string, string>): Promise<void> {
    await this.run(`CREATE OR REPLACE TABLE ${quoteIdent(name)} (${columnDefinitions(columns)})`)
  }

  /** Loads JS rows through a newline-delimited JSON file read with the table's exact types. */
  async insertRows(name: string, columns: Record<string, string>, rows: readonly object[], path: string): Promise<void> {
    if (rows.length === 0) return
    await writeFile(path, rows.map((row) => JSON.stringify(row)).join('\n'))
    await this.run(
      `INSERT INTO ${quoteIdent(name)} SELECT * FROM read_json(${quoteLiteral(path)}, format = 'newline_delimited', columns = ${jsonColumns(columns)})`,
    )
  }

  async copyToParquet(query: string, path: string): Promise<void> {
    await this.run(`COPY (${query}) TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`)
  }

  close(): void {
    this.connection.closeSync()
    this.instance.closeSync()
  }
}

export { columnDefinitions }
