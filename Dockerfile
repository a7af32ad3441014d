# The Kith appliance image (deploy/README.md): one image, run as `agent`, `consensus` or `web`.
# No native modules, so the same build serves amd64 and arm64.

# --- build: all dependencies, then compile the TypeScript into dist/ (scripts/build.mjs) ---
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/api/package.json packages/api/
COPY db/package.json db/
COPY services/agent/package.json services/agent/
COPY services/archive/package.json services/archive/
COPY services/consensus/package.json services/consensus/
COPY services/web/package.json services/web/
COPY cli/package.json cli/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY bin bin
COPY scripts scripts
COPY packages packages
COPY services services
COPY cli cli
COPY db db
RUN node scripts/build.mjs

# --- deps: production dependencies only (the workspace packages are bundled into dist/) ---
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/packages/core/package.json packages/core/
COPY --from=build /src/packages/api/package.json packages/api/
COPY --from=build /src/db/package.json db/
COPY --from=build /src/services/agent/package.json services/agent/
COPY --from=build /src/services/archive/package.json services/archive/
COPY --from=build /src/services/consensus/package.json services/consensus/
COPY --from=build /src/services/web/package.json services/web/
COPY --from=build /src/cli/package.json cli/
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && rm -rf node_modules/@kith node_modules/.package-lock.json \
 && npm cache clean --force 2>/dev/null; rm -rf /root/.npm

# --- runtime: built code + production dependencies, non-root ---
FROM node:24-bookworm-slim
# --max-semi-space-size=1: V8's young generation stays at 1 MiB per semi-space instead of
# Node 24's larger default, which the agent filled at start and kept (idle 240 -> 70 MiB;
# deploy/README.md "Measured"). Scavenges are more frequent and each is cheaper.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=1 \
    KITH_DATA=/data \
    KITH_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /src/package.json ./
COPY --from=build /src/bin bin
COPY --from=build /src/dist dist
RUN ln -s /app/bin/kith.mjs /usr/local/bin/kith \
 && mkdir -p /data /run/kith-api \
 && chown node:node /data /run/kith-api \
 && chmod 0700 /data /run/kith-api
USER node
VOLUME ["/data"]
EXPOSE 7470 7480
HEALTHCHECK --interval=10s --timeout=15s --start-period=60s --retries=3 \
  CMD ["node", "/app/bin/healthcheck.mjs", "agent"]
ENTRYPOINT ["node", "/app/bin/kith.mjs"]
CMD ["agent"]
