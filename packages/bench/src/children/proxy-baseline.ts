// The gateway's ceiling: a bare Fastify route forwarding to an upstream through
// an undici Pool (keep-alive), the way the gateway does, with none of its work
// (no token check, breaker, header rules, cache, rate limit, metrics). Its
// req/s over the upstream's is the most a proxy of this shape reaches here.
import Fastify from 'fastify'
import { Pool } from 'undici'

const upstream = new Pool(String(process.env.UPSTREAM_URL), { connections: 128, keepAliveTimeout: 10_000 })
const app = Fastify({ logger: false })
app.get('/songs/:id', async (request, reply) => {
  const response = await upstream.request({ method: 'GET', path: request.url })
  return reply
    .code(response.statusCode)
    .header('content-type', response.headers['content-type'])
    .header('content-length', response.headers['content-length'])
    .send(response.body)
})
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
