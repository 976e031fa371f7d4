import { Prisma, type PrismaClient } from '../../generated/prisma/client.js'
import type { User, UserStore } from '../../domain/accounts.js'
import type { SigningKeyStore, StoredKey } from '../../domain/key-ring.js'
import type { RefreshTokenStore } from '../../domain/sessions.js'

/** Prisma adapters of the domain's stores. */

const UNIQUE_VIOLATION = 'P2002'
const userFields = { id: true, username: true, role: true, passwordHash: true } as const

export function prismaUserStore(prisma: PrismaClient): UserStore {
  return {
    async create(user): Promise<User | null> {
      try {
        return await prisma.user.create({ data: user, select: userFields })
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === UNIQUE_VIOLATION) return null
        throw error
      }
    },
    findByUsername: (username) => prisma.user.findUnique({ where: { username }, select: userFields }),
    findById: (id) => prisma.user.findUnique({ where: { id }, select: userFields }),
    hasAdmin: async () => (await prisma.user.count({ where: { role: 'admin' } })) > 0,
  }
}

export function prismaRefreshTokenStore(prisma: PrismaClient): RefreshTokenStore {
  return {
    async insert(record) {
      await prisma.refreshToken.create({ data: record })
    },
    findByHash: (tokenHash) =>
      prisma.refreshToken.findUnique({
        where: { tokenHash },
        select: { id: true, familyId: true, userId: true, expiresAt: true, rotatedAt: true, revokedAt: true },
      }),
    async markRotated(id, at) {
      // Conditional update: of two concurrent uses of one token, exactly one wins.
      const { count } = await prisma.refreshToken.updateMany({ where: { id, rotatedAt: null, revokedAt: null }, data: { rotatedAt: at } })
      return count === 1
    },
    async revokeFamily(familyId, at) {
      await prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: at } })
    },
  }
}

export function prismaSigningKeyStore(prisma: PrismaClient): SigningKeyStore {
  return {
    async list(): Promise<StoredKey[]> {
      const rows = await prisma.signingKey.findMany({ orderBy: { createdAt: 'asc' } })
      return rows.map((row) => ({ ...row, publicJwk: JSON.parse(row.publicJwk) as StoredKey['publicJwk'] }))
    },
    async insert(key) {
      await prisma.signingKey.create({ data: { ...key, publicJwk: JSON.stringify(key.publicJwk) } })
    },
    async retireOlderThan(before, at) {
      await prisma.signingKey.updateMany({
        where: { retiredAt: null, createdAt: { lt: before } },
        data: { retiredAt: at, privateKey: null },
      })
    },
    async deleteRetiredBefore(before) {
      await prisma.signingKey.deleteMany({ where: { retiredAt: { lt: before } } })
    },
  }
}
