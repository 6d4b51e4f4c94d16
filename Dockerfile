# syntax=docker/dockerfile:1
#
# One image, two long-running commands:
#   docker run IMAGE                    -> skilldex-api (serves the API and the built UI)
#   docker run IMAGE skilldex-worker    -> Temporal worker
#   docker run IMAGE skilldex-migration up
#
# Build: docker build -t skilldex .   (needs BuildKit, the default since Docker 23)

ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------
# Stage 1: web UI (React + Vite) -> /src/frontend/dist
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS frontend
WORKDIR /src/frontend
ENV npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
# Dependencies first so source edits reuse this layer.
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci
COPY frontend/ ./
RUN npm run build

# ---------------------------------------------------------------------------
# Stage 2: Rust workspace (release) -> /out/skilldex-{api,worker,migration}
# ---------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS rust
# protoc is needed by the Temporal SDK's build scripts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends protobuf-compiler \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0
# The whole workspace (filtered by .dockerignore): every member must be present for --locked.
COPY . .
# target/ and the cargo registry live in cache mounts, so the binaries are copied out
# within the same RUN.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked \
        -p skilldex-api -p skilldex-worker -p skilldex-migration \
 && mkdir -p /out \
 && cp target/release/skilldex-api target/release/skilldex-worker target/release/skilldex-migration /out/

# ---------------------------------------------------------------------------
# Stage 3: runtime
# ---------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
# ca-certificates: TLS to GitHub and S3. tini: PID 1 that forwards signals and reaps
# children. curl: container health checks (docker-compose.yml probes /health).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tini \
 && rm -rf /var/lib/apt/lists/*

ARG SKILLDEX_UID=10001
RUN groupadd --system --gid "${SKILLDEX_UID}" skilldex \
 && useradd --system --uid "${SKILLDEX_UID}" --gid skilldex \
        --home-dir /var/lib/skilldex --create-home --shell /usr/sbin/nologin skilldex

COPY --from=rust /out/ /usr/local/bin/
COPY --from=frontend /src/frontend/dist/ /usr/share/skilldex/ui/

ENV SKILLDEX_UI_DIR=/usr/share/skilldex/ui \
    SKILLDEX_HTTP_ADDR=0.0.0.0:8080 \
    SKILLDEX_LOG_FORMAT=json

WORKDIR /var/lib/skilldex
# Numeric so orchestrators can verify runAsNonRoot.
USER ${SKILLDEX_UID}:${SKILLDEX_UID}
EXPOSE 8080

LABEL org.opencontainers.image.title="skilldex" \
      org.opencontainers.image.description="Skilldex: an open registry for Agent Skills (api, worker, migration)" \
      org.opencontainers.image.source="https://github.com/skilldex/skilldex" \
      org.opencontainers.image.licenses="Apache-2.0"

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["skilldex-api"]
