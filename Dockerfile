# agenttail collector image: `docker build -t agenttail .`
# Build stage compiles TypeScript with the dev dependencies; the runtime stage has production dependencies only
# and runs as the unprivileged `node` user. Debian (glibc), not Alpine: chdb's native engine needs glibc.

FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
# A C compiler for the one native part (native/malloc-trim.c, built by `npm run build` against this Node's headers):
# without it the image still works, without trimming the malloc heap when idle.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY native ./native
COPY scripts/build-native.mjs ./scripts/
RUN npm run build

FROM node:20.19.5-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The migrations read schema/ (two levels above dist/store) and pricing reads its catalog from dist/.
COPY schema ./schema
RUN mkdir -p /data && chown node:node /data
USER node
# The receivers bind 127.0.0.1 by default (like the OpenTelemetry Collector); in a container they must listen on
# every interface to be reachable through published ports, so the image says so explicitly.
ENV AGENTTAIL_CFG__DATA_DIR=/data \
    AGENTTAIL_CFG__STORE__PATH=/data/clickhouse \
    AGENTTAIL_CFG__RECEIVE__GRPC__HOST=0.0.0.0 \
    AGENTTAIL_CFG__RECEIVE__HTTP__HOST=0.0.0.0
VOLUME ["/data"]
EXPOSE 4317 4318
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4318/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
