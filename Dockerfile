# syntax=docker/dockerfile:1.7
# One image per service, from one Dockerfile: `docker build --build-arg SERVICE=order -t order .`
# The image runs the service (`node services/<name>/dist/main.js`, the default command), its
# migrations (`node services/<name>/dist/migrate.js up`) and its stream provisioning
# (`node services/<name>/dist/provision.js`).

# Pinned Node.js (package.json engines: >= 22.17); bump deliberately.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# ---- build: every workspace's dependencies, then the service and the libs it references ----
FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<name>" >&2 && exit 1)
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# Manifests first: the dependency layer is reused until a package.json or the lockfile changes.
COPY package.json package-lock.json ./
COPY libs/ libs/
COPY services/ services/
COPY tools/ tools/
COPY tsconfig.base.json tsconfig.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
# Project references: builds libs/* first, then the service.
RUN npx tsc -b "services/${SERVICE}"

# ---- prune: production dependencies of this service only; built output of it and libs/* ----
FROM build AS prune
ARG SERVICE
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --workspace "services/${SERVICE}" --include-workspace-root=false
# What the service runs from and nothing else: its workspace and the libs/* it depends on, each as
# package.json (exports resolve to dist/), dist/ (JavaScript only) and node_modules; sources, tests,
# tsconfig, type declarations, maps, the other services, unused libs and tools/ go. An allow-list
# (tools/image/prune.mjs), which tools/chart-test/test/image.test.ts runs on a built workspace.
RUN node tools/image/prune.mjs "${SERVICE}"

# ---- runtime ----
FROM ${NODE_IMAGE}
ARG SERVICE
LABEL org.opencontainers.image.title="orderflow-${SERVICE}" \
      org.opencontainers.image.source="https://github.com/orderflow/orderflow"
ENV NODE_ENV=production \
    ORDERFLOW_SERVICE=${SERVICE}
WORKDIR /app
# Owned by root and not writable by the service: it runs as `node` (uid 1000) and writes only to
# /tmp (an emptyDir in the chart, with a read-only root filesystem).
COPY --from=prune /app/package.json ./
COPY --from=prune /app/node_modules ./node_modules
COPY --from=prune /app/libs ./libs
COPY --from=prune /app/services ./services
# `service` → services/<name>, so the default command needs no build argument.
RUN ln -s "services/${SERVICE}" service
USER 1000:1000
# Documentation only: the chart sets PORT and the container port from services.<name>.port.
EXPOSE 8080-8087
# Node is PID 1 and handles SIGTERM itself (readiness 503, drain, close).
CMD ["node", "service/dist/main.js"]
