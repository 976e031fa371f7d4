// Distinct, real MP3 files made before the load starts: encoding is CPU work
// that must not compete with the drill it is measuring.
import { makeMp3 } from '@soundline/dev-stack/testing'

export interface Fixture {
  bytes: Buffer
  /** What the Song Service must end up holding for this file. */
  song: { name: string; artist: string; album: string; year: string; duration: string }
}

/** Seeds whose audio is encoded once and reused: distinct titles already make every file distinct. */
const AUDIO_SEEDS = 8
const SECONDS = 2

export function makeFixtures(count: number, runId: string): Fixture[] {
  const fixtures: Fixture[] = []
  for (let i = 0; i < count; i++) {
    const song = {
      name: `Drill ${runId} #${i + 1}`,
      artist: 'Soundline Drill',
      album: `Run ${runId}`,
      year: String(2000 + (i % 26)),
      duration: '00:02',
    }
    const bytes = makeMp3({
      seconds: SECONDS,
      title: song.name,
      artist: song.artist,
      album: song.album,
      year: song.year,
      seed: (i % AUDIO_SEEDS) + 1,
      kbps: 32,
    })
    fixtures.push({ bytes, song })
  }
  return fixtures
}
