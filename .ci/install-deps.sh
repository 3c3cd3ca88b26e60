#!/usr/bin/env bash
# Installs what running or testing wa-gateway needs on a fresh Debian machine; idempotent.
#   .ci/install-deps.sh run    Chromium only (enough to run the gateway)
#   .ci/install-deps.sh test   Chromium, fonts, the test runner, and Node.js with the npm
#                              packages of sim/tests/wwebjs (the whatsapp-web.js proof) and
#                              tests/axe (axe-core, for the dashboard's accessibility checks)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

what="${1:-test}"
log() { echo "install-deps: $*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1
  fi
}

apt_packages=()
[[ -x /usr/lib/chromium/chromium || -x /usr/bin/chromium ]] || apt_packages+=(chromium)
if [[ "$what" == test ]]; then
  # Emoji and CJK glyphs keep the simulator's pages and screenshots legible.
  dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || apt_packages+=(fonts-noto-color-emoji)
  command -v python3 >/dev/null || apt_packages+=(python3 python3-venv)
  command -v node >/dev/null || apt_packages+=(nodejs)
  command -v npm >/dev/null || apt_packages+=(npm)
fi
if ((${#apt_packages[@]})); then
  log "apt-get install ${apt_packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi
if [[ "$what" == test ]] && ! cargo nextest --version >/dev/null 2>&1; then
  log "cargo install cargo-nextest"
  cargo install cargo-nextest --locked --quiet
fi
wwebjs="$root/sim/tests/wwebjs"
# `npm ci` starts from an empty node_modules every time: only when the lock file changed.
if [[ "$what" == test ]] && ! cmp -s "$wwebjs/package-lock.json" "$wwebjs/node_modules/.installed-lock"; then
  # sim/tests/third_party.rs runs whatsapp-web.js on the system Chromium: no browser download.
  log "npm ci in sim/tests/wwebjs"
  (cd "$wwebjs" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp "$wwebjs/package-lock.json" "$wwebjs/node_modules/.installed-lock"
fi
axe="$root/tests/axe"
if [[ "$what" == test ]] && ! cmp -s "$axe/package-lock.json" "$axe/node_modules/.installed-lock"; then
  log "npm ci in tests/axe"
  (cd "$axe" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$axe/package-lock.json" "$axe/node_modules/.installed-lock"
fi
log "ok"
