// Uploads as multipart/form-data (a browser form, `curl -F file=@song.mp3`),
// over real sockets against the real S3 server and database: the same path as
// a raw audio/mpeg body, the same answers, nothing left behind when refused.
import { createHash } from 'node:crypto'
import { http, kafkaBrokers, makeMp3, pngBytes, waitUntilReady } from '@soundline/dev-stack/testing'
import t from 'tap'
import { MAX_FORM_FIELDS } from '../src/plugins/app/form-upload.js'
import { countRows, formUpload, objectKeys, startResourceService, startStack, upload } from './helpers.js'

kafkaBrokers()
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const stack = await startStack(t.teardown)
const { base, databaseUrl } = await startResourceService(stack, t.teardown)
await waitUntilReady(base)

const song = makeMp3({ seconds: 2, title: 'Bohemian Rhapsody', seed: 51 })
const invalid = (type: string) => ({ errorMessage: `Invalid file format: ${type}. Only MP3 files are allowed`, errorCode: '400' })

/** A hand-made multipart body, for what FormData cannot send (no boundary, a cut-off body). */
async function rawForm(body: string | Uint8Array, contentType: string) {
  return http('POST', `${base}/resources`, { body, headers: { 'content-type': contentType } })
}

t.test('a form upload is stored as the raw upload of the same bytes is: same size, SHA-256, bytes', async (t) => {
  const form = await formUpload(base, [
    { name: 'title', value: 'ignored: text fields are not stored' },
    // No type: the Blob default, application/octet-stream, as curl sends an .mp3.
    { name: 'file', value: song, filename: 'song.mp3' },
    { name: 'after', value: 'also ignored' },
  ])
  t.equal(form.status, 200)
  t.equal(form.headers.get('content-type'), 'application/json')
  t.strictSame(form.json, { id: 1 })
  const raw = await upload(base, song)
  t.strictSame(raw.json, { id: 2 })

  const status = async (id: number) => (await http('GET', `${base}/resources/${id}/status`)).json as Record<string, unknown>
  const [fromForm, fromRaw] = [await status(1), await status(2)]
  t.match(fromForm, { state: 'STAGING', size: song.length, sha256: sha256(song), bucket: stack.stagingBucket })
  t.strictSame([fromForm.size, fromForm.sha256], [fromRaw.size, fromRaw.sha256], 'the same file as the raw upload')
  const download = await fetch(`${base}/resources/1`)
  t.equal(download.headers.get('content-type'), 'audio/mpeg')
  t.equal(sha256(Buffer.from(await download.arrayBuffer())), sha256(song), 'GET reads the same bytes')

  const typed = await formUpload(base, [{ name: 'upload', value: song, filename: 'a.mp3', type: 'audio/mpeg' }])
  t.strictSame(typed.json, { id: 3 }, 'any field name; a part typed audio/mpeg')
  const mistyped = await formUpload(base, [{ name: 'file', value: song, filename: 'a.png', type: 'image/png' }])
  t.strictSame(mistyped.json, { id: 4 }, "the bytes decide, not the part's type (a guess from the file name)")
})

t.test('Idempotency-Key: one key for form and raw uploads of the same bytes; other bytes → 409', async (t) => {
  const file = makeMp3({ seconds: 1, seed: 52 })
  const first = await formUpload(base, [{ name: 'file', value: file, filename: 'x.mp3' }], { 'idempotency-key': 'form-key' })
  t.equal(first.status, 200)
  const again = await formUpload(base, [{ name: 'file', value: file, filename: 'x.mp3' }], { 'idempotency-key': 'form-key' })
  t.strictSame(again.json, first.json, 'a retried form')
  const raw = await upload(base, file, { 'idempotency-key': 'form-key' })
  t.strictSame(raw.json, first.json, 'a raw retry of the form')
  const other = await formUpload(base, [{ name: 'file', value: makeMp3({ seconds: 1, seed: 53 }), filename: 'y.mp3' }], {
    'idempotency-key': 'form-key',
  })
  t.equal(other.status, 409)
  t.strictSame(other.json, { errorMessage: "Idempotency-Key 'form-key' was already used for a different file", errorCode: '409' })
  const tab = await formUpload(base, [{ name: 'file', value: file, filename: 'x.mp3' }], { 'idempotency-key': 'a b' })
  t.equal(tab.status, 400)
  t.match(tab.json, { errorMessage: 'Validation error', details: { 'idempotency-key': String } })
})

t.test('refused forms: the contract form, no object, no row', async (t) => {
  const rows = await countRows(databaseUrl, 'resources')
  const objects = (await objectKeys(stack.s3, stack.stagingBucket)).length
  const noFile = { errorMessage: 'Multipart body has no file part: an MP3 file is required', errorCode: '400' }
  const malformed = { errorMessage: 'Malformed multipart/form-data body', errorCode: '400' }
  const cases: [string, Promise<Awaited<ReturnType<typeof formUpload>>>, number, unknown][] = [
    ['no file part, only a text field', formUpload(base, [{ name: 'file', value: 'song.mp3' }]), 400, noFile],
    ['an empty form', rawForm('', 'multipart/form-data; boundary=x'), 400, noFile],
    [
      'a second file part',
      formUpload(base, [
        { name: 'file', value: song, filename: 'a.mp3' },
        { name: 'file', value: song, filename: 'b.mp3' },
      ]),
      400,
      { errorMessage: 'Multipart body has more than one file part: upload one MP3 file per request', errorCode: '400' },
    ],
    [
      'an empty file (a browser form with no file chosen)',
      formUpload(base, [{ name: 'file', value: new Uint8Array(), filename: '' }]),
      400,
      { errorMessage: 'Request body is empty: an MP3 file is required', errorCode: '400' },
    ],
    ['a PNG', formUpload(base, [{ name: 'file', value: pngBytes(), filename: 'a.png', type: 'image/png' }]), 400, invalid('image/png')],
    [
      'a PNG named .mp3',
      formUpload(base, [{ name: 'file', value: pngBytes(), filename: 'a.mp3' }]),
      400,
      invalid('application/octet-stream'),
    ],
    ['no boundary', rawForm(song, 'multipart/form-data'), 400, malformed],
    [
      'a body cut off inside the file',
      rawForm(
        Buffer.concat([
          Buffer.from('--x\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\n'),
          song.subarray(0, 5000),
        ]),
        'multipart/form-data; boundary=x',
      ),
      400,
      malformed,
    ],
    [
      'too many text fields',
      formUpload(
        base,
        Array.from({ length: MAX_FORM_FIELDS + 1 }, (_, i) => ({ name: `f${i}`, value: 'v' })),
      ),
      413,
      { errorMessage: `Multipart body has too many fields: the limit is ${MAX_FORM_FIELDS}`, errorCode: '413' },
    ],
  ]
  for (const [name, answer, status, body] of cases) {
    const res = await answer
    t.equal(res.status, status, name)
    t.strictSame(res.json, body, name)
    t.equal(res.headers.get('content-type'), 'application/json', name)
  }
  t.equal(await countRows(databaseUrl, 'resources'), rows, 'no row')
  t.equal((await objectKeys(stack.s3, stack.stagingBucket)).length, objects, 'no object')
})

t.test('over MAX_UPLOAD_BYTES: 413, whatever the form around the file weighs', async (t) => {
  const file = makeMp3({ seconds: 1, seed: 54 })
  const small = await startResourceService(stack, t.teardown, {
    MAX_UPLOAD_BYTES: String(file.length - 1),
    KAFKA_GROUP_ID: `${stack.topicPrefix}small-form`,
  })
  const before = (await objectKeys(stack.s3, stack.stagingBucket)).length
  const tooLarge = await formUpload(small.base, [{ name: 'file', value: file, filename: 'big.mp3' }])
  t.equal(tooLarge.status, 413)
  t.strictSame(tooLarge.json, { errorMessage: `File is too large: the limit is ${file.length - 1} bytes`, errorCode: '413' })
  // The limit is the file's: the boundaries and the fields do not count.
  const fits = await formUpload(small.base, [
    { name: 'note', value: 'x'.repeat(1000) },
    { name: 'file', value: file.subarray(0, file.length - 1), filename: 'fits.mp3' },
  ])
  t.equal(fits.status, 200, 'a file of exactly the limit, in a larger body')
  t.equal((await objectKeys(stack.s3, stack.stagingBucket)).length, before + 1, 'no object from the refused upload')
  t.equal(await countRows(small.databaseUrl, 'resources'), 1, 'no row from the refused upload')
})

t.test('OpenAPI shows both forms of the upload body', async (t) => {
  const docs = (await http('GET', `${base}/docs/json`)).json as {
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>>
  }
  const content = docs.paths['/resources']?.post?.requestBody?.content ?? {}
  t.strictSame(Object.keys(content).sort(), ['audio/mpeg', 'multipart/form-data'])
  t.match(content['audio/mpeg']?.schema, { type: 'string', format: 'binary' })
  t.match(content['multipart/form-data']?.schema, { type: 'object', properties: { file: { type: 'string', format: 'binary' } } })
})
