// One upload through the gateway, followed to PERMANENT; the song read from its tags;
// the download byte-identical.
import { type Api, sha256, songFor } from '../soundline.js'
import { notPermanentAfter } from '../load.js'

export async function uploadToPermanent(api: Api, run: string): Promise<string> {
  const { tags, bytes } = songFor(0, `${run}-single`)
  const started = Date.now()
  const upload = await api.upload(bytes)
  if (upload.status !== 200 || upload.id === undefined) throw new Error(`upload: ${upload.status} ${upload.body}`)
  const id = upload.id
  const stuck = await notPermanentAfter(api, [id], 60_000)
  if (stuck.length > 0) throw new Error(`resource ${id} is ${await api.state(id)} after 60 s`)
  const permanentMs = Date.now() - started
  const song = await api.song(id)
  if (song.status !== 200) throw new Error(`GET /songs/${id}: ${song.status} ${JSON.stringify(song.body)}`)
  const expected = { name: tags.title, artist: tags.artist, album: tags.album, year: tags.year }
  for (const [field, value] of Object.entries(expected)) {
    if (song.body[field] !== value) throw new Error(`song ${id} ${field}: ${JSON.stringify(song.body[field])}, expected ${JSON.stringify(value)}`)
  }
  const download = await api.download(id)
  if (download.status !== 200 || sha256(download.bytes) !== sha256(bytes))
    throw new Error(`download ${id}: ${download.status}, ${download.bytes.length} bytes, expected ${bytes.length} identical`)
  return `resource ${id} PERMANENT in ${permanentMs} ms, song ${JSON.stringify(expected)}, ${bytes.length} bytes downloaded identical`
}

/** Clients send wrong files too: the contract's answer, and the dashboards' "refused" panels get data. */
export async function notAnMp3Refused(api: Api): Promise<string> {
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')
  const answers = await Promise.all([1, 2, 3].map(() => api.upload(png)))
  for (const answer of answers) {
    if (answer.status !== 400) throw new Error(`a PNG sent as audio/mpeg: ${answer.status} ${answer.body}`)
    const body = JSON.parse(answer.body) as { errorMessage?: string; errorCode?: string }
    if (body.errorCode !== '400' || !body.errorMessage) throw new Error(`not the contract's error form: ${answer.body}`)
  }
  return `3 PNG uploads answered 400 ${answers[0]?.body}`
}
