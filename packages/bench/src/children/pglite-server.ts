// An embedded PGlite database in its own process, as `npm start` runs it
// (there it lives in the stack's process, apart from the services).
import { PGlite } from '@electric-sql/pglite'
import { servePglite } from '@soundline/dev-stack/testing'

const db = await PGlite.create()
const server = await servePglite({ db, port: 0, maxConnections: 32 })
console.log(JSON.stringify({ port: server.port }))
process.once(
  'SIGTERM',
  () =>
    void server
      .stop()
      .then(() => db.close())
      .then(() => process.exit(0)),
)
