# syntax=docker/dockerfile:1.7
# The imgedge origin: a multi-arch (linux/amd64, linux/arm64) image.
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/OWNER/imgedge-origin:dev .
# Stages: deps (all deps) → build (tsc) → prod-deps (pruned to production deps, per target
# platform, so sharp's @img/sharp-linux-<arch> binaries match the image) → runtime (slim, non-root).
# test/container/runtime.test.ts reproduces build → prune → non-root start without Docker.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: TypeScript → dist/. Runs on the builder's own platform: its output is plain JS.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY origin ./origin
COPY shared ./shared
RUN npm run build

# ---- prod-deps: production dependencies only, installed FOR THE TARGET platform (no
# --platform=$BUILDPLATFORM here), so npm picks the matching optional sharp/libvips packages.
# Install scripts are not needed: sharp ships prebuilt binaries in those packages.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && node -e "require('sharp')" \
 && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="imgedge-origin" \
      org.opencontainers.image.description="imgedge origin: uploads, Postgres and sharp/libvips transforms" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="UNLICENSED"

# tini as PID 1: forwards SIGTERM (graceful shutdown) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# MALLOC_ARENA_MAX: glibc malloc fragments under libvips' threads; two arenas keep RSS flat.
# UV_THREADPOOL_SIZE: the libuv pool is sharp's parallelism (one libvips thread per image).
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    API_PORT=8004 \
    UPLOAD_DIR=/data/uploads \
    OUTPUT_DIR=/data/variants \
    PGLITE_DIR=/data/pglite \
    MALLOC_ARENA_MAX=2 \
    UV_THREADPOOL_SIZE=4

COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./

RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8004

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.API_PORT||8004)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/origin/main.js"]
