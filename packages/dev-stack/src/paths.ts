import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Walks up from `start` to the first package.json that declares "workspaces":
 * that is the monorepo root, whether we run from src/ (tsx) or dist/ (node).
 */
export function findRepoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start)
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }
        if (parsed.workspaces !== undefined) return dir
      } catch {
        // An unreadable package.json is not the root; keep walking.
      }
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package.json with "workspaces" above ${start}`)
    dir = parent
  }
}

/** The monorepo root (the directory holding the workspaces package.json). */
export const repoRoot: string = findRepoRoot()

/** Persistent data of `npm start` (databases, S3 objects, Kafka logs). Env: SOUNDLINE_DATA_DIR. */
export const dataDir: string = resolve(process.env.SOUNDLINE_DATA_DIR ?? join(repoRoot, '.data'))

/** Downloads that survive `--fresh` (Kafka jars). Env: SOUNDLINE_CACHE_DIR. */
export const cacheDir: string = resolve(process.env.SOUNDLINE_CACHE_DIR ?? join(repoRoot, '.cache'))
