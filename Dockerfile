# syntax=docker/dockerfile:1
# wa-gateway: the release binary on Debian with Debian's Chromium.
#   docker build -t wa-gateway .
#   docker run -p 5000:5000 -v wa-sessions:/var/lib/wa-gateway/sessions -v wa-data:/var/lib/wa-gateway/data wa-gateway

FROM rust:1-bookworm AS builder
WORKDIR /build
# The whole workspace is needed to resolve it (sim/ and bench/ are members), but only wa-gateway is built.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY sim ./sim
COPY bench ./bench
# Cache mounts keep the registry and the build between image builds; the binary is copied out of them.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked --bin wa-gateway \
 && cp target/release/wa-gateway /usr/local/bin/wa-gateway

FROM debian:bookworm-slim
# chromium: one browser per connection. Fonts: emoji and CJK glyphs in names and messages.
# tini: PID 1 that reaps Chromium's orphaned renderers. curl: the HEALTHCHECK.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      chromium fonts-noto-color-emoji fonts-noto-cjk ca-certificates tini curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/wa-gateway --shell /usr/sbin/nologin wa \
 && mkdir -p /var/lib/wa-gateway/sessions /var/lib/wa-gateway/data \
 && chown -R wa:wa /var/lib/wa-gateway
COPY --from=builder /usr/local/bin/wa-gateway /usr/local/bin/wa-gateway

ENV HOST=0.0.0.0 \
    PORT=5000 \
    SESSION_DIR=/var/lib/wa-gateway/sessions \
    DATA_DIR=/var/lib/wa-gateway/data \
    CHROME_PATH=/usr/lib/chromium/chromium \
    HOME=/var/lib/wa-gateway
# Created above and owned by `wa`, so new named volumes start with the right owner.
VOLUME ["/var/lib/wa-gateway/sessions", "/var/lib/wa-gateway/data"]
USER wa
WORKDIR /var/lib/wa-gateway
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health" >/dev/null || exit 1

# SIGTERM (docker stop) makes the gateway archive its sessions and close every browser: give it
# time with `docker stop -t 30` / compose's stop_grace_period.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["wa-gateway"]
