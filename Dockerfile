# syntax=docker/dockerfile:1.7
#
# One Dockerfile for every Soundline service (build arg SERVICE):
#
#   docker build --build-arg SERVICE=song-service -t soundline/song-service .
#
# Why one file: every service is a workspace of the same monorepo, built by the
# same `tsc -b` against the same lockfile and the shared packages/platform. The
# `build` stage is identical for all services, so BuildKit builds it once.
#
# Stages:
#   manifests  package.json files + lockfile only (keeps the npm layers cached
#              while sources change)
#   build      npm ci WITH dev dependencies (prisma CLI, typescript), prisma
#              generate (the clients land in services/*/src/generated), tsc -b
#   prod-deps  the production dependencies of ONE service, packages/platform, packages/contracts and
#              packages/registry, nothing else (no prisma CLI, engines, PGlite, typescript, tap)
#   runtime    (default) distroless Node 22: node and the libraries it links, no
#              shell, no package manager; those node_modules, platform + contracts + registry
#              + the service's dist, prisma/*/migrations, uid 1000. The same image runs
#              the migrations (the charts' init container: packages/platform/dist/cli/migrate.js)
#
# Base images: Node 22 LTS on Debian 12 slim to build, distroless Node 22 (Debian 12)
# to run; change the Node major in all stages together, and pin digests
# (node:22-bookworm-slim@sha256:..., ...nodejs22-debian12:nonroot@sha256:...) for
# reproducible releases.

FROM node:22-bookworm-slim AS manifests
WORKDIR /src
COPY . .
# Keep only package.json files and the lockfile: this stage's output changes
# only when dependencies change, so the npm layers below stay cached.
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
RUN node packages/dev-stack/scripts/prisma-generate.mjs \
 && npx tsc -b

# Production dependencies of one service. `npm ci --omit=dev` of the whole
# monorepo would bring every workspace's dependencies, and the root devDependencies
# that are optional peers of @prisma/client (prisma with its engines and Studio,
# typescript). So: a package.json that lists only this service, packages/platform, packages/contracts and
# the registry it reads as workspaces and no devDependencies, installed against the same lockfile (the
# versions stay the locked ones; `npm ci` would refuse the edited package.json).
# --omit=optional: the only optional production packages are other platforms'
# binaries and pg-cloudflare. Then drop what the pg driver adapter never loads: the
# query compilers of the other databases, and source maps and type declarations.
FROM node:22-bookworm-slim AS prod-deps
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build arg SERVICE is required (e.g. --build-arg SERVICE=song-service)" >&2; exit 1; }
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.npm node -e " \
      const fs = require('fs'); \
      const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')); \
      delete pkg.devDependencies; delete pkg.scripts; \
      pkg.workspaces = ['packages/registry', 'packages/platform', 'packages/contracts', 'services/' + process.env.SERVICE]; \
      fs.writeFileSync('package.json', JSON.stringify(pkg, null, 2));" \
 && npm install --omit=dev --omit=optional --ignore-scripts \
 && for unwanted in prisma @prisma/engines typescript tap @electric-sql/pglite effect; do \
      if [ -e "node_modules/$unwanted" ]; then echo "$unwanted must not be in the production tree" >&2; exit 1; fi; \
    done \
 && find node_modules/@prisma/client/runtime -name 'query_compiler_*' ! -name 'query_compiler_fast_bg.postgresql.*' -delete \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete \
 && find node_modules -mindepth 1 -type d -empty -delete \
 && mkdir -p /out/packages/registry /out/packages/platform /out/packages/contracts "/out/services/${SERVICE}" \
 && cp packages/registry/package.json /out/packages/registry/ \
 && cp -a node_modules package.json /out/ \
 && cp packages/platform/package.json /out/packages/platform/ \
 && cp packages/contracts/package.json /out/packages/contracts/ \
 && cp "services/${SERVICE}/package.json" "/out/services/${SERVICE}/" \
 && if [ -d packages/platform/node_modules ]; then cp -a packages/platform/node_modules /out/packages/platform/; fi \
 && if [ -d "services/${SERVICE}/node_modules" ]; then cp -a "services/${SERVICE}/node_modules" "/out/services/${SERVICE}/"; fi \
 && printf "import './services/%s/dist/server.js'\n" "${SERVICE}" >/out/server.js

# No shell here: everything that needs one happened in the stages above.
FROM gcr.io/distroless/nodejs22-debian12:nonroot AS runtime
ARG SERVICE
WORKDIR /app
ENV NODE_ENV=production SERVICE=${SERVICE}
COPY --from=prod-deps /out/ ./
COPY --from=build /app/packages/registry/dist ./packages/registry/dist
COPY --from=build /app/packages/registry/services.json ./packages/registry/
COPY --from=build /app/packages/platform/dist ./packages/platform/dist
COPY --from=build /app/packages/contracts/dist ./packages/contracts/dist
COPY --from=build /app/services/${SERVICE}/dist ./services/${SERVICE}/dist
# Migrations: the service applies them at start (MIGRATIONS_DIR defaults to
# prisma/<db>/migrations), and so does the init container, with the same code.
COPY --from=build /app/prisma ./prisma
# Numeric user: Kubernetes can only verify runAsNonRoot against a numeric UID (the
# charts run 1000). Files stay root-owned and read-only to it.
USER 1000:1000
# The image's entrypoint is node, PID 1, so it receives SIGTERM (the services shut
# down gracefully). server.js (written above) imports services/$SERVICE/dist/server.js:
# an exec-form CMD cannot expand the build argument.
CMD ["server.js"]
