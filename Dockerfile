# syntax=docker/dockerfile:1
# Orchestra's image: build TypeScript in one stage, ship only production dependencies and lib/.
#   docker build -t orchestra .
#   docker run --env-file .env -p 3000:3000 orchestra
# The same steps without Docker: `npm ci && npm run build && npm ci --omit=dev && node lib/main.js`.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/lib ./lib
# Probot's setup page (first start without APP_ID) registers the App from this manifest.
COPY app.yml ./
# The image's unprivileged user; nothing under /app is writable by it.
USER node
EXPOSE 3000
# Liveness: GET /health answers 200 while the process serves requests.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly (not npm start) so that SIGTERM reaches Orchestra and it shuts down gracefully;
# with npm start's heap sizing (package.json, README "Performance").
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "lib/main.js"]
