// The baseline: a bare Fastify app answering a constant, so a service's
// numbers read as "what it costs on top of Fastify on this machine".
import Fastify from 'fastify'

const app = Fastify({ logger: false })
const song = { id: 1, name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }
app.get('/constant', async () => song)
app.post('/constant', async () => ({ id: 1 }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
