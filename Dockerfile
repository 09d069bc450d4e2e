# One image for the API (default command) and the Temporal worker (command: node dist/worker/main.js).
# Debian slim (glibc), not Alpine: the worker's native core-bridge and @swc/core ship glibc binaries.
# npm ci runs the npm bundled with Node 20 (10.x): keep it so, npm 11's ci rejects this lockfile, which lists only
# the Linux builds of the optional platform packages.
ARG NODE_VERSION=20.20.2

# ---- build: all dependencies, TypeScript -> dist/ ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- runtime: production dependencies and the compiled code, run as the unprivileged `node` user ----
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# Code stays root-owned (read-only to the app); only the data folder, a volume in compose, is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
