// The mapping rules, over real MP3 files made by the platform's fixtures and
// read by the same code the service runs (music-metadata over a stream).
import { parseMpegFrameHeader } from '@soundline/platform'
import { QUEEN_TAGS, fakeMp3Bytes, makeMp3, pngBytes, truncatedMp3, wavBytes, type Mp3Options } from '@soundline/dev-stack/testing'
import { Readable } from 'node:stream'
import t from 'tap'
import { readAudioFacts } from '../src/domain/audio-file.js'
import { cleanText, formatDuration, parseYear, toSongMetadata } from '../src/domain/metadata.js'

/** As the service reads a download: a byte stream and its Content-Length. */
async function mapFile(bytes: Buffer) {
  // objectMode off: a byte stream like an HTTP body, not one object per chunk.
  const facts = await readAudioFacts(Readable.from([bytes], { objectMode: false }), bytes.length)
  return toSongMetadata(facts)
}

const mp3 = (options: Mp3Options) => makeMp3({ ...QUEEN_TAGS, ...options })
const queenSong = { name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }

t.test('ID3v2.3 tags and the measured duration make the song', async (t) => {
  t.strictSame(await mapFile(mp3({ seconds: 179, tag: 'id3v2.3' })), { ok: true, song: queenSong })
})

t.test('ID3v2.4: UTF-8 text and the year of a full TDRC date', async (t) => {
  const result = await mapFile(mp3({ seconds: 179, tag: 'id3v2.4', title: 'Żółć ☃ 𝄞', year: '1977-10-28' }))
  t.strictSame(result, { ok: true, song: { ...queenSong, name: 'Żółć ☃ 𝄞' } })
})

t.test('ID3v2.3 text outside Latin-1 (UTF-16) is read too', async (t) => {
  const result = await mapFile(mp3({ seconds: 179, tag: 'id3v2.3', artist: 'Кино' }))
  t.strictSame(result, { ok: true, song: { ...queenSong, artist: 'Кино' } })
})

t.test('an ID3v1 trailer alone is enough', async (t) => {
  t.strictSame(await mapFile(mp3({ seconds: 179, tag: 'id3v1' })), { ok: true, song: queenSong })
})

t.test('missing tags are named, in contract order', async (t) => {
  t.strictSame(await mapFile(makeMp3({ artist: 'Queen', album: 'News of the world' })), {
    ok: false,
    reason: 'Missing ID3 tags: title, year',
  })
  t.strictSame(await mapFile(makeMp3({ tag: 'none' })), { ok: false, reason: 'Missing ID3 tags: title, artist, album, year' })
  t.strictSame(await mapFile(mp3({ album: '   ' })), { ok: false, reason: 'Missing ID3 tags: album' }, 'blank is missing')
})

t.test('a year the contract cannot hold fails with the raw value', async (t) => {
  t.strictSame(await mapFile(mp3({ year: '77' })), { ok: false, reason: "Invalid ID3 year '77': expected a year from 1900 to 2099" })
  t.strictSame(await mapFile(mp3({ year: '1850' })), { ok: false, reason: "Invalid ID3 year '1850': expected a year from 1900 to 2099" })
  t.strictSame(await mapFile(mp3({ tag: 'id3v1', year: 'abcd' })), {
    ok: false,
    reason: "Invalid ID3 year 'abcd': expected a year from 1900 to 2099",
  })
  t.strictSame(await mapFile(mp3({ title: '', year: '2100' })), {
    ok: false,
    reason: "Missing ID3 tags: title; Invalid ID3 year '2100': expected a year from 1900 to 2099",
  })
})

t.test('long texts are kept, cut to 100 characters', async (t) => {
  const result = await mapFile(mp3({ seconds: 179, tag: 'id3v2.4', title: `  ${'é'.repeat(99)}𝄞𝄞  ` }))
  t.strictSame(result, { ok: true, song: { ...queenSong, name: `${'é'.repeat(99)}𝄞` } })
})

t.test('a ten-minute file is cheap to make and measured from its audio', async (t) => {
  const started = performance.now()
  const long = mp3({ seconds: 600 })
  t.ok(performance.now() - started < 1000, 'made in under a second')
  t.ok(long.length > 4_000_000, 'really ten minutes of audio')
  t.strictSame(await mapFile(long), { ok: true, song: { ...queenSong, duration: '10:00' } })
})

t.test('audio longer than 99:59 cannot be a song', async (t) => {
  const result = await mapFile(mp3({ seconds: 6100, kbps: 32 }))
  t.match(result, { ok: false, reason: /^Audio is too long: 10\d:\d\d \(the song duration is mm:ss, at most 99:59\)$/ })
})

/**
 * What LAME writes: a first frame holding an Info header (no audio) that
 * states the frame count of the whole file. Here it claims `claimedFrames`,
 * whatever audio follows, as a file cut short after encoding does.
 */
const id3Length = (file: Buffer) =>
  10 + ((file.readUInt8(6) << 21) | (file.readUInt8(7) << 14) | (file.readUInt8(8) << 7) | file.readUInt8(9))

function withInfoHeader(file: Buffer, claimedFrames: number): Buffer {
  const tagLength = id3Length(file)
  const audio = file.subarray(tagLength)
  const frameLength = parseMpegFrameHeader(audio)?.length ?? 0
  // MPEG-1 Layer III: the Info tag follows 17 (mono) or 32 bytes of side information.
  const infoAt = 4 + (audio.readUInt8(3) >> 6 === 3 ? 17 : 32)
  const info = Buffer.alloc(frameLength)
  audio.copy(info, 0, 0, 4)
  info.write('Info', infoAt, 'latin1')
  info.writeUInt32BE(0x3, infoAt + 4) // frame count and byte count present
  info.writeUInt32BE(claimedFrames, infoAt + 8)
  info.writeUInt32BE(claimedFrames * frameLength, infoAt + 12)
  return Buffer.concat([file.subarray(0, tagLength), info, audio])
}

t.test('a file cut short: the duration is the audio that arrived, not what its Info header claims', async (t) => {
  // 2297 frames of 1152 samples at 44.1 kHz: the header says 60 s; 10 s arrived.
  const cut = withInfoHeader(mp3({ seconds: 10 }), 2297)
  t.strictSame(await mapFile(cut), { ok: true, song: { ...queenSong, duration: '00:10' } })

  // The tag and the Info frame alone (a few hundred bytes): no audio at all.
  const file = mp3({ seconds: 3 })
  const whole = withInfoHeader(file, 115)
  const onlyInfo = whole.subarray(0, whole.length - (file.length - id3Length(file)))
  t.ok(onlyInfo.length < 1_000, `a short file (${onlyInfo.length} bytes)`)
  t.strictSame(await mapFile(onlyInfo), { ok: false, reason: 'No MPEG audio found in the file' })
})

t.test('bytes that only pretend to be an MP3 have no audio', async (t) => {
  t.strictSame(await mapFile(fakeMp3Bytes()), { ok: false, reason: 'No MPEG audio found in the file' })
  t.strictSame(await mapFile(truncatedMp3()), { ok: false, reason: 'No MPEG audio found in the file' })
  t.strictSame(await mapFile(pngBytes()), {
    ok: false,
    reason: 'No MPEG audio found in the file; Missing ID3 tags: title, artist, album, year',
  })
  t.strictSame(await mapFile(wavBytes()), {
    ok: false,
    reason: 'No MPEG audio found in the file; Missing ID3 tags: title, artist, album, year',
  })
})

t.test('a download that breaks is an error to retry, not a fact about the file', async (t) => {
  const bytes = mp3({ seconds: 30 })
  const broken = new Readable({
    read() {
      this.push(bytes.subarray(0, 1000))
      this.destroy(new Error('socket hang up'))
    },
  })
  await t.rejects(readAudioFacts(broken, bytes.length), { message: 'socket hang up' })
})

t.test('fixtures: deterministic, and different per seed', async (t) => {
  t.ok(makeMp3({ seed: 7 }).equals(makeMp3({ seed: 7 })), 'same seed, same bytes')
  const files = new Set(Array.from({ length: 200 }, (_, seed) => makeMp3({ ...QUEEN_TAGS, seed }).toString('base64')))
  t.equal(files.size, 200, '200 seeds give 200 different files')
  t.not(fakeMp3Bytes(1).toString('hex'), fakeMp3Bytes(2).toString('hex'))
})

t.test('rules', async (t) => {
  t.equal(formatDuration(178.6), '02:59', 'rounded to the nearest second')
  t.equal(formatDuration(179.4), '02:59')
  t.equal(formatDuration(0.2), '00:01', 'any audio lasts at least a second')
  t.equal(formatDuration(5999.4), '99:59')
  t.equal(formatDuration(5999.5), undefined, 'rounds to 100:00')
  t.equal(parseYear('1977'), '1977')
  t.equal(parseYear(' 2024-02 '), '2024')
  t.equal(parseYear('2024-02-29T10:00:00'), '2024')
  t.equal(parseYear('1977/10'), undefined)
  t.equal(parseYear('19770'), undefined)
  t.equal(parseYear('1899'), undefined)
  t.equal(cleanText('  Queen\u0000\u0000'), 'Queen')
  t.equal(cleanText('\u0000 '), undefined)
  t.equal(cleanText('Que\u0001en\u007f\u0085'), 'Queen', 'control characters, which the Song Service refuses, are dropped')
  t.equal(cleanText('We are\tthe\nchampions'), 'We are the champions', 'tabs and line breaks become spaces')
  t.equal(cleanText(`${'a'.repeat(99)} b`), 'a'.repeat(99), 'no trailing blank after the cut')
  t.strictSame(toSongMetadata({ ...QUEEN_TAGS, unreadable: 'End-Of-Stream' }), {
    ok: false,
    reason: 'The file cannot be read as MP3 audio (End-Of-Stream)',
  })
})
