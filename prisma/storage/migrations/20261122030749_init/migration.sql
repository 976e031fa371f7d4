-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "StorageType" AS ENUM ('STAGING', 'PERMANENT');

-- CreateTable
CREATE TABLE "storages" (
    "id" SERIAL NOT NULL,
    "storage_type" "StorageType" NOT NULL,
    "bucket" VARCHAR(63) NOT NULL,
    "path" VARCHAR(1024) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "storages_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "storages_storage_type_id_idx" ON "storages"("storage_type", "id");
