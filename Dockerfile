# syntax=docker/dockerfile:1
# One image for every Lead Ledger container: the API replicas (`serve --no-projections`), the
# projector (`project`) and one-off CLI commands (`docker compose run --rm projector verify --all`).
# Checked statically by scripts/validate-deploy.mjs (npm run validate:deploy).

# Exact tag: bump it on purpose, together with the Node version CI runs.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Compiles the TypeScript. No install scripts: the compiler needs no native module.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build

# Production dependencies only. better-sqlite3 is native: it takes a prebuilt binary when one
# matches, and compiles with this toolchain otherwise.
FROM ${NODE_IMAGE} AS prod-deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist/src ./dist/src
# Embedded stores (no EVENTSTORE_URL / MONGODB_URI) write here; mount a volume to keep them.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4000
# Liveness: the process answers. docker-compose.yml asks the API replicas for /readyz instead.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
