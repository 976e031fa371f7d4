-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ResourceState" AS ENUM ('STAGING', 'PERMANENT', 'FAILED');

-- CreateTable
CREATE TABLE "resources" (
    "id" SERIAL NOT NULL,
    "state" "ResourceState" NOT NULL DEFAULT 'STAGING',
    "storage_id" INTEGER NOT NULL,
    "bucket" VARCHAR(63) NOT NULL,
    "key" VARCHAR(1024) NOT NULL,
    "staging_bucket" VARCHAR(63) NOT NULL,
    "staging_key" VARCHAR(1024) NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" VARCHAR(64) NOT NULL,
    "failure_reason" VARCHAR(1000),
    "idempotency_key" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "resources_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "topic" VARCHAR(255) NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_events" (
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("event_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "resources_idempotency_key_key" ON "resources"("idempotency_key");
