// What the local stack fetches or builds once (Kafka's jars, the S3 server)
// lives in `<versionDir>/<target>` next to a `complete.json` marker.
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isProcessAlive } from './processes.js'

/** `<versionDir>/<...path>` (e.g. `bin/versitygw`) when an earlier install completed and left it, else undefined. */
export function cachedInstall(versionDir: string, ...path: string[]): string | undefined {
  const installed = join(versionDir, ...path)
  return existsSync(join(versionDir, 'complete.json')) && existsSync(installed) ? installed : undefined
}

export interface InstallOnceOptions<Marker> {
  /** E.g. `<cacheDir>/kafka-<version>`. */
  versionDir: string
  /** The subdirectory that holds the result, e.g. `libs`. */
  target: string
  /** Fills `partialDir` completely or throws; returns what `complete.json` records. */
  fill(partialDir: string): Promise<Marker>
}

/**
 * Installs into a temp dir renamed to `<versionDir>/<target>` when complete,
 * so a killed install never leaves a half cache; leftovers of killed installs
 * are removed first. Returns the target dir, and the marker when this call
 * wrote it (undefined when another process finished the same install first).
 */
export async function installOnce<Marker>(options: InstallOnceOptions<Marker>): Promise<{ dir: string; installed?: Marker }> {
  const { versionDir, target } = options
  const dir = join(versionDir, target)
  const marker = join(versionDir, 'complete.json')
  await mkdir(versionDir, { recursive: true })
  // Leftovers of installs that were killed midway.
  const leftover = new RegExp(`^${target}\\.partial-(\\d+)-`)
  for (const entry of await readdir(versionDir)) {
    const pid = Number(leftover.exec(entry)?.[1])
    if (pid && !isProcessAlive(pid)) await rm(join(versionDir, entry), { recursive: true, force: true })
  }
  const partialDir = join(versionDir, `${target}.partial-${process.pid}-${Date.now()}`)
  try {
    const installed = await options.fill(partialDir)
    if (existsSync(marker)) {
      // Another process completed the same install meanwhile; keep theirs.
      await rm(partialDir, { recursive: true, force: true })
      return { dir }
    }
    await rm(dir, { recursive: true, force: true })
    await rename(partialDir, dir)
    await writeFile(marker, JSON.stringify(installed) + '\n')
    return { dir, installed }
  } catch (error) {
    await rm(partialDir, { recursive: true, force: true })
    throw error
  }
}
