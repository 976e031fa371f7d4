-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "songs" (
    "id" INTEGER NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "artist" VARCHAR(100) NOT NULL,
    "album" VARCHAR(100) NOT NULL,
    "duration" VARCHAR(8) NOT NULL,
    "year" VARCHAR(4) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "songs_pkey" PRIMARY KEY ("id")
);
