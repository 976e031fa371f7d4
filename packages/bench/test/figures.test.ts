import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Figures, writeFigures } from '../src/figures.js'

/** A bench.json path in a folder of its own, removed after the test. */
async function jsonFile(t: Test): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-figures-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return { dir, file: join(dir, 'bench.json') }
}

t.test('writes the figures that were measured as one JSON object of numbers', async (t) => {
  const { dir, file } = await jsonFile(t)
  const figures = new Figures()
  figures.set('startup_fresh_s', 12.5)
  figures.set('upload_ratio_1mib_processor_paused', 0.42)
  figures.set('permanent_p50_ms', Number.NaN)
  figures.set('resource_rss_peak_mib', Number.POSITIVE_INFINITY)
  await writeFigures(file, figures)

  const written = JSON.parse(await readFile(file, 'utf8')) as unknown
  // Keys in the documented order; NaN and infinite values are left out, not written as null.
  t.same(Object.entries(written as object), [
    ['upload_ratio_1mib_processor_paused', 0.42],
    ['startup_fresh_s', 12.5],
  ])
  t.same(await readdir(dir), ['bench.json'], 'no temporary file left behind')
})

t.test('a later write replaces the file with every figure so far', async (t) => {
  const { file } = await jsonFile(t)
  const figures = new Figures()
  figures.set('startup_warm_s', 3)
  await writeFigures(file, figures)
  figures.set('song_get_ratio_pglite', 0.25)
  figures.set('startup_warm_s', 4)
  await writeFigures(file, figures)
  t.same(JSON.parse(await readFile(file, 'utf8')), { song_get_ratio_pglite: 0.25, startup_warm_s: 4 })
})

t.test('no figures is an empty object', async (t) => {
  const { file } = await jsonFile(t)
  await writeFigures(file, new Figures())
  t.same(JSON.parse(await readFile(file, 'utf8')), {})
})
