# Herald server image, in two stages. The build stage installs every
# dependency and compiles src/ to JavaScript (`npm run build`, into dist/);
# the runtime stage holds the compiled code and the production dependencies
# only, and runs as the unprivileged `node` user. Built by docker-compose.yml;
# also runs on its own:
#   docker build -t herald .
#   docker run -p 4000:4000 -e NODE_ENV=production -e HERALD_ADMIN_TOKEN=... -e REDIS_URL=redis://... herald
# test/image.test.ts checks this file and runs the build and the probe it names.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-slim AS runtime
# Production mode needs HERALD_ADMIN_TOKEN; NODE_ENV=development at `docker run` for a trial.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
# Asks the instance itself on HOST and PORT (over HTTPS with TLS_CERT_FILE); see src/healthcheck.ts.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/healthcheck.js", "/health"]
# Node runs as PID 1 and gets SIGTERM itself (no npm or shell in between), so a
# stop closes WebSockets with 1001, closes Redis and exits 0 within SHUTDOWN_TIMEOUT_MS.
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/main.js"]
