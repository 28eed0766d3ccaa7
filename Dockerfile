# Herald server image. Built by docker-compose.yml; also runs on its own:
#   docker build -t herald .
#   docker run -p 4000:4000 -e HERALD_ADMIN_TOKEN=... -e REDIS_URL=redis://... herald
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so a source change does not reinstall them.
# tsx (which runs the TypeScript sources) is a runtime dependency.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src

ENV HOST=0.0.0.0 \
    PORT=4000
EXPOSE 4000
USER node

# What `npm start` runs (tsx src/main.ts), as one process: npm and the shell it
# starts do not pass SIGTERM on, and the server needs it for a graceful
# shutdown (WebSockets closed with 1001, Redis closed, exit 0).
CMD ["node", "--import", "tsx", "src/main.ts"]
