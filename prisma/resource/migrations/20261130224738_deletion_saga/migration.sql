-- CreateEnum
CREATE TYPE "DeletionSagaState" AS ENUM ('RUNNING', 'FAILED', 'COMPLETED');

-- CreateEnum
CREATE TYPE "DeletionSagaStep" AS ENUM ('DELETE_SONGS', 'DELETE_OBJECTS', 'DELETE_ROWS', 'DONE');

-- AlterEnum
ALTER TYPE "ResourceState" ADD VALUE 'DELETING';

-- CreateTable
CREATE TABLE "deletion_sagas" (
    "id" SERIAL NOT NULL,
    "resource_ids" INTEGER[],
    "step" "DeletionSagaStep" NOT NULL DEFAULT 'DELETE_SONGS',
    "state" "DeletionSagaState" NOT NULL DEFAULT 'RUNNING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" VARCHAR(1000),
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "deletion_sagas_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "deletion_sagas_state_next_attempt_at_idx" ON "deletion_sagas"("state", "next_attempt_at");
