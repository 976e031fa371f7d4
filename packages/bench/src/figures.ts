import { rename, writeFile } from 'node:fs/promises'

/** The figures `BENCH_JSON=FILE npm run bench` writes: ratios as fractions, times in the unit the name says. */
export const FIGURE_KEYS = [
  'upload_ratio_1mib_processor_paused',
  'upload_ratio_20mib_processor_paused',
  'upload_ratio_1mib_processor_running',
  'upload_ratio_20mib_processor_running',
  'resource_rss_after_start_mib',
  'resource_rss_peak_mib',
  'gateway_constant_upstream_ratio',
  'gateway_added_p50_ms_one_at_a_time',
  'song_get_ratio_postgres',
  'song_get_ratio_pglite',
  'permanent_p50_ms',
  'permanent_p95_ms',
  'breaker_vs_cockatiel_ratio_window100',
  // Not one of the goals: the same breaker with call timing stubbed out, to show what the timing costs.
  'breaker_untimed_vs_cockatiel_ratio_window100',
  'startup_warm_s',
  'startup_fresh_s',
] as const

export type FigureKey = (typeof FIGURE_KEYS)[number]

/**
 * What the suites measured, by key. A suite that did not run leaves its keys
 * out; so does a figure that came out NaN or infinite (JSON has no such
 * numbers, and a missing key reads as "not measured" rather than as zero).
 */
export class Figures {
  private readonly values = new Map<FigureKey, number>()

  set(key: FigureKey, value: number): void {
    if (Number.isFinite(value)) this.values.set(key, value)
  }

  toJSON(): Partial<Record<FigureKey, number>> {
    // In FIGURE_KEYS order, so two runs' files diff line by line.
    return Object.fromEntries(FIGURE_KEYS.filter((key) => this.values.has(key)).map((key) => [key, this.values.get(key)]))
  }
}

/**
 * Writes the figures as one JSON object. Through a temporary file and a
 * rename, so a reader (CI, a script comparing runs) never sees half a file;
 * the bench calls it after every suite, so a later suite failing keeps the
 * earlier figures.
 */
export async function writeFigures(file: string, figures: Figures): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(figures, null, 2)}\n`)
  await rename(temporary, file)
}
