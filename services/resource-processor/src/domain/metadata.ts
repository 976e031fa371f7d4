/**
 * From what an audio file says about itself to the Song contract
 * (docs/api.md, Song Service). Pure rules: the reasons they give end up in
 * the resource's `failureReason`, so they are written for the user.
 */

/** What was read from the file: raw tag texts and the measured audio length. */
export interface AudioFacts {
  title?: string
  artist?: string
  album?: string
  /** Raw year text: TYER (ID3v2.3), TDRC (ID3v2.4, may be a full date) or the ID3v1 year. */
  year?: string
  /** Seconds of audio measured from the MPEG frames; undefined when there are none. */
  durationSeconds?: number
  /** Why the file could not be parsed at all, when it could not. */
  unreadable?: string
}

/** The Song Service's body without the id. */
export interface SongMetadata {
  name: string
  artist: string
  album: string
  duration: string
  year: string
}

export type MappingResult = { ok: true; song: SongMetadata } | { ok: false; reason: string }

/** The contract's limit for name, artist and album. */
export const MAX_TEXT_LENGTH = 100
/** `mm:ss` cannot say more than 99:59. */
export const MAX_DURATION_SECONDS = 99 * 60 + 59
export const MIN_YEAR = 1900
export const MAX_YEAR = 2099

/**
 * Trimmed text, cut to 100 characters (code points, as the Song Service
 * counts them): a long title is kept shortened rather than failing the song.
 * Control characters, which the Song Service refuses (docs/api.md "Text
 * fields"), are dropped: taggers pad fields with NULs; a tab or a line break
 * becomes a space. Blank means missing.
 */
export function cleanText(raw: string | undefined): string | undefined {
  const text = raw
    ?.replace(/[\t\n\r]/g, ' ')
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .trim()
  if (!text) return undefined
  const chars = [...text]
  return chars.length > MAX_TEXT_LENGTH ? chars.slice(0, MAX_TEXT_LENGTH).join('').trimEnd() : text
}

// YYYY, or an ID3v2.4 timestamp starting with it: YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS.
const YEAR_OR_DATE = /^(\d{4})(?:-\d{2}(?:-\d{2}(?:T[\d:]+)?)?)?$/

/** The 4-digit year of a year or date text, when it is one and within 1900..2099. */
export function parseYear(raw: string): string | undefined {
  const match = YEAR_OR_DATE.exec(raw.trim())
  const year = match?.[1]
  if (year === undefined) return undefined
  const value = Number(year)
  return value >= MIN_YEAR && value <= MAX_YEAR ? year : undefined
}

/** Whole seconds, rounded to the nearest (at least 1 for any audio), as mm:ss. */
export function formatDuration(totalSeconds: number): string | undefined {
  const seconds = Math.max(1, Math.round(totalSeconds))
  if (seconds > MAX_DURATION_SECONDS) return undefined
  const pad = (value: number) => String(value).padStart(2, '0')
  return `${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}`
}

function describeLength(totalSeconds: number): string {
  const seconds = Math.round(totalSeconds)
  const minutes = Math.floor(seconds / 60)
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`
}

/** Printable and short: the raw value quoted in a reason. */
function quote(raw: string): string {
  const text = raw.trim()
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`
}

/** Maps the facts to song metadata, or says every reason it cannot. */
export function toSongMetadata(facts: AudioFacts): MappingResult {
  const problems: string[] = []

  let duration: string | undefined
  if (facts.unreadable !== undefined) {
    problems.push(`The file cannot be read as MP3 audio (${facts.unreadable})`)
  } else if (facts.durationSeconds === undefined || !(facts.durationSeconds > 0)) {
    problems.push('No MPEG audio found in the file')
  } else {
    duration = formatDuration(facts.durationSeconds)
    if (duration === undefined) {
      problems.push(`Audio is too long: ${describeLength(facts.durationSeconds)} (the song duration is mm:ss, at most 99:59)`)
    }
  }

  const name = cleanText(facts.title)
  const artist = cleanText(facts.artist)
  const album = cleanText(facts.album)
  const rawYear = cleanText(facts.year)
  const missing = Object.entries({ title: name, artist, album, year: rawYear })
    .filter(([, value]) => value === undefined)
    .map(([tag]) => tag)
  if (missing.length > 0) problems.push(`Missing ID3 tags: ${missing.join(', ')}`)

  const year = rawYear === undefined ? undefined : parseYear(rawYear)
  if (rawYear !== undefined && year === undefined) {
    problems.push(`Invalid ID3 year ${quote(rawYear)}: expected a year from ${MIN_YEAR} to ${MAX_YEAR}`)
  }

  if (name === undefined || artist === undefined || album === undefined || year === undefined || duration === undefined) {
    return { ok: false, reason: problems.join('; ') }
  }
  return { ok: true, song: { name, artist, album, duration, year } }
}
