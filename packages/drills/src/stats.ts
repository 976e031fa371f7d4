export function formatMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '-'
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

/** Fixed-width text table, columns padded to their widest cell. */
export function textTable(rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, col) => (widths[col] = Math.max(widths[col] ?? 0, cell.length)))
  return rows
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
