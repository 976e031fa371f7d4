// The short form of the drills' settings, shared by their tests: 5 uploads/s
// and breaker settings scaled to it (the CLI's defaults are for 20/s).
import type { RunSettings } from '../src/run.js'

export function shortForm(
  outDir: string,
  onProgress: (line: string) => void,
): Omit<RunSettings, 'scenarios' | 'faultSeconds' | 'warmupSeconds'> {
  return {
    rate: 5,
    afterSeconds: 6,
    settleTimeoutMs: 60_000,
    breakerOpenMs: 3_000,
    breakerWindow: { size: 8, minimumCalls: 4 },
    storageTimeoutMs: 500,
    // STORAGE_CACHE_TTL_MS: the service's default (0), as in production.
    outDir,
    onProgress,
  }
}
