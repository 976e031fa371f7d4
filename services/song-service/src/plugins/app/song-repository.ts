import type { ReplicaReads } from '@soundline/platform'
import fp from 'fastify-plugin'
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js'
import { SongCatalog, type SongRepository } from '../../domain/song-catalog.js'
import type { Song } from '../../schemas/songs.js'

declare module 'fastify' {
  interface FastifyInstance {
    songCatalog: SongCatalog
  }
}

const UNIQUE_VIOLATION = 'P2002'

/**
 * `reads`: where `findById` may read (a replica; a miss there is confirmed on the primary, so a
 * song written a moment ago is never reported missing: docs/high-availability.md).
 */
export function prismaSongRepository(prisma: PrismaClient, reads: ReplicaReads<PrismaClient>): SongRepository {
  return {
    async insert(song: Song) {
      try {
        await prisma.song.create({ data: song })
        return true
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === UNIQUE_VIOLATION) return false
        throw error
      }
    },

    async upsert(song: Song) {
      const { id, ...fields } = song
      await prisma.song.upsert({ where: { id }, create: song, update: fields })
    },

    async findById(id: number) {
      // The hot read as one fixed statement: findUnique costs most of the request in Prisma 7's query
      // compiler and result mapping (docs/performance.md, "Song read"); the columns are all text but the key.
      return reads.read(
        async (client) => {
          const rows = await client.$queryRaw<
            Song[]
          >`SELECT "id", "name", "artist", "album", "duration", "year" FROM "songs" WHERE "id" = ${id}`
          return rows[0] ?? null
        },
        { confirmOnPrimary: (song) => song === null },
      )
    },

    async deleteByIds(ids: number[]) {
      // RETURNING gives exactly the rows this statement removed, even under concurrent deletes.
      const rows = await prisma.$queryRaw<{ id: number }[]>`DELETE FROM "songs" WHERE "id" = ANY(${ids}::int[]) RETURNING "id"`
      return rows.map((row) => row.id).sort((a, b) => a - b)
    },
  }
}

export default fp(
  async (app) => {
    app.decorate('songCatalog', new SongCatalog(prismaSongRepository(app.songDatabase, app.songDatabaseReads)))
  },
  { name: 'song-repository', dependencies: ['database'] },
)
