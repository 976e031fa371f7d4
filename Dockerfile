# syntax=docker/dockerfile:1.7
#
# One Dockerfile for every Soundline service (build arg SERVICE) and for the
# shared migration image (target `migrate`).
#
#   docker build --build-arg SERVICE=song-service -t soundline/song-service .
#   docker build --target migrate -t soundline/migrate .
#
# Why one file: every service is a workspace of the same monorepo, built by the
# same `tsc -b` against the same lockfile and the shared packages/platform. The
# `build` and `prod-deps` stages are identical for all services, so BuildKit
# builds them once and every service image shares the same node_modules layer
# (pulled once per node). Only the last stage differs per service.
#
# Stages:
#   manifests  package.json files + lockfile only (keeps the npm ci layers cached
#              while sources change)
#   build      npm ci WITH dev dependencies (prisma CLI, typescript), prisma
#              generate (the clients land in services/*/src/generated), tsc -b
#   prod-deps  npm ci --omit=dev: production dependencies only
#   migrate    prod-deps + the Prisma schema engine + prisma/*: runs
#              `prisma migrate deploy` (the charts' init container)
#   runtime    (default) node, prod node_modules, platform + one service's dist,
#              prisma/* (the service also applies migrations at start), uid 1000

# Base image: Node 22 LTS on Debian 12 slim, the same tag in every stage (change all
# together; pin a digest, node:22-bookworm-slim@sha256:..., for reproducible releases).

FROM node:22-bookworm-slim AS manifests
WORKDIR /src
COPY . .
# Keep only package.json files and the lockfile: this stage's output changes
# only when dependencies change, so the npm ci layers below stay cached.
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \
 && find . -mindepth 1 -type d -empty -delete

FROM node:22-bookworm-slim AS build
WORKDIR /app
ENV CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY --from=manifests /src/ ./
# --ignore-scripts: the root postinstall (prisma generate + tap build) needs the
# sources, and no dependency needs an install script to build; prisma generate
# runs explicitly below once the schemas are here.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts
COPY tsconfig.base.json tsconfig.json ./
COPY prisma ./prisma
COPY packages ./packages
COPY services ./services
# prisma generate is pure WASM (prisma-generate.mjs points PRISMA_SCHEMA_ENGINE_BINARY
# at a stand-in, so nothing is downloaded); tsc -b compiles every workspace,
# generated clients included.
RUN node packages/local-stack/scripts/prisma-generate.mjs \
 && npx tsc -b

FROM node:22-bookworm-slim AS prod-deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts

# Migration image: `prisma migrate deploy --config prisma/<db>/prisma.config.ts`.
# The prisma CLI is in the production tree: it is the optional peer dependency
# of @prisma/client, which the lockfile marks devOptional and `--omit=dev`
# keeps (the test below fails the build loudly if that ever changes). This
# stage adds the native schema engine
# (its install script was skipped above) and the OpenSSL it links against.
FROM node:22-bookworm-slim AS migrate
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# HOME=/tmp and no jiti file cache (prisma.config.ts is TypeScript): the root
# filesystem is read-only in the cluster, /tmp is an emptyDir.
ENV NODE_ENV=production HOME=/tmp JITI_FS_CACHE=false CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=prod-deps /app/package.json ./
RUN test -f node_modules/prisma/build/index.js \
      || { echo "prisma CLI missing from the production tree: add prisma to dependencies" >&2; exit 1; } \
 && node node_modules/@prisma/engines/dist/scripts/postinstall.js \
 && node node_modules/prisma/build/index.js version \
 && chmod -R a+rX node_modules/@prisma/engines
COPY prisma ./prisma
USER 1000:1000
ENTRYPOINT ["node", "/app/node_modules/prisma/build/index.js"]
CMD ["migrate", "status", "--help"]

FROM node:22-bookworm-slim AS runtime
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build arg SERVICE is required (e.g. --build-arg SERVICE=song-service)" >&2; exit 1; }
WORKDIR /app
ENV NODE_ENV=production SERVICE=${SERVICE}
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=prod-deps /app/package.json ./
COPY --from=build /app/packages/platform/package.json ./packages/platform/
COPY --from=build /app/packages/platform/dist ./packages/platform/dist
COPY --from=build /app/services/${SERVICE}/package.json ./services/${SERVICE}/
COPY --from=build /app/services/${SERVICE}/dist ./services/${SERVICE}/dist
# Services default MIGRATIONS_DIR to prisma/<db>/migrations and apply them at start.
COPY --from=build /app/prisma ./prisma
# Numeric user: Kubernetes can only verify runAsNonRoot against a numeric UID
# (1000 is the image's `node` user). Files stay root-owned and read-only to it.
USER 1000:1000
# exec: node is PID 1 and receives SIGTERM (the services shut down gracefully).
CMD ["/bin/sh", "-c", "exec node \"services/${SERVICE}/dist/server.js\""]
