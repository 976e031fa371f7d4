// The baseline: a bare Fastify app answering a constant, so a service's
// numbers read as "what it costs on top of Fastify on this machine".
import Fastify from 'fastify'
import { exampleSong } from '../song.js'

const app = Fastify({ logger: false })
const song = exampleSong(1)
app.get('/constant', async () => song)
app.post('/constant', async () => ({ id: 1 }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
