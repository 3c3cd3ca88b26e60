#!/usr/bin/env bash
# Runs the Postman collection with newman against a live gateway and simulator (what `make newman`
# runs): installs newman under .ci/node, builds the binaries, starts wa-sim and wa-gateway on free
# ports with a temp SESSION_DIR/DATA_DIR, runs the collection, and always stops both by PID.
# Extra arguments go to `newman run` (e.g. --folder Errors).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NEWMAN_VERSION=6
START_TIMEOUT=60 # seconds for each process to listen and answer
STOP_TIMEOUT=30  # seconds for each process to exit once signalled
newman=.ci/node/node_modules/.bin/newman
bin="${CARGO_TARGET_DIR:-$PWD/target}/debug"
[[ "$bin" == /* ]] || bin="$PWD/$bin"

log() { echo "newman.sh: $*" >&2; }

# Polls `$@` every 0.2 s until it succeeds or `$1` seconds went by.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${seconds}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}

install_newman() {
  if "$newman" --version 2>/dev/null | grep -q "^${NEWMAN_VERSION}\."; then return; fi
  command -v npm >/dev/null || { log "needs Node.js 20 and npm"; exit 1; }
  log "npm install newman@${NEWMAN_VERSION} into .ci/node"
  npm install --prefix .ci/node "newman@${NEWMAN_VERSION}" --no-audit --no-fund --loglevel=error
}

.ci/install-deps.sh run
install_newman
cargo build --workspace --bins --locked

work="$(mktemp -d "${TMPDIR:-/tmp}/wa-newman.XXXXXX")"
sim_pid=""
gateway_pid=""

exited() { ! kill -0 "$1" 2>/dev/null; }

# Succeeds once `file` holds `pattern`; ends the script at once if process `pid` died instead.
printed() {
  local pid=$1 pattern=$2 file=$3
  if exited "$pid"; then
    log "process $pid exited before printing '$pattern':"
    tail -n 20 "$file" >&2
    exit 1
  fi
  grep -q -- "$pattern" "$file"
}

# Sends `signal`, then waits (with a deadline) for the process to exit; SIGKILL as a last resort.
stop() {
  local name=$1 pid=$2 signal=$3
  [[ -n "$pid" ]] || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  if ! wait_for "$STOP_TIMEOUT" "$name to exit" exited "$pid"; then
    log "killing $name ($pid)"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  local status=0
  wait "$pid" 2>/dev/null || status=$?
  if ((status != 0)); then
    log "$name exited with status $status"
    return 1
  fi
}

# Browsers run with profiles under $work; the gateway closes them at shutdown. Any left over is a bug:
# say so, end them by PID and fail.
leftover_browsers() {
  local pids
  pids="$(pgrep -f -- "$work/sessions/" || true)"
  [[ -n "$pids" ]] || return 0
  log "Chromium processes outlived the gateway: $(echo "$pids" | tr '\n' ' ')"
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  return 1
}

cleanup() {
  local rc=$?
  # The gateway closes every browser on SIGTERM; wa-sim shuts down on ctrl-c.
  stop wa-gateway "$gateway_pid" TERM || rc=1
  stop wa-sim "$sim_pid" INT || rc=1
  leftover_browsers || rc=1
  if ((rc != 0)); then
    log "failed; logs in $work (gateway.log, sim.log)"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Port 0 everywhere: each process picks a free port and prints it, so two runs never collide.
"$bin/wa-sim" --port 0 >"$work/sim.log" 2>&1 &
sim_pid=$!
wait_for "$START_TIMEOUT" "wa-sim to listen" printed "$sim_pid" '^WhatsApp Web: http' "$work/sim.log"
sim_url="$(sed -n 's|^WhatsApp Web: \(http://[^ ]*\)/$|\1|p' "$work/sim.log")"

mkdir -p "$work/run"
# From an empty directory, so no .env is read; MONGO_URI unset: the embedded store under DATA_DIR.
(cd "$work/run" && exec env -u MONGO_URI -u MONGO_DB \
  HOST=127.0.0.1 PORT=0 LOG_FORMAT=json RUST_LOG=info \
  WA_WEB_URL="$sim_url/" SESSION_DIR="$work/sessions" DATA_DIR="$work/data" \
  QR_WAIT_TIMEOUT_SECS=30 MAX_SESSIONS=5 \
  "$bin/wa-gateway") >"$work/gateway.log" 2>&1 &
gateway_pid=$!
wait_for "$START_TIMEOUT" "wa-gateway to listen" \
  printed "$gateway_pid" '"wa-gateway listening"' "$work/gateway.log"
addr="$(grep '"wa-gateway listening"' "$work/gateway.log" | sed -n 's/.*"addr":"\([^"]*\)".*/\1/p' | head -n1)"
base_url="http://$addr"
healthy() { node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1/health"; }
wait_for "$START_TIMEOUT" "$base_url/health" healthy "$base_url"
log "gateway $base_url (pid $gateway_pid), simulator $sim_url (pid $sim_pid)"

status=0
"$newman" run postman/wa-gateway.postman_collection.json \
  --environment postman/wa-gateway.postman_environment.json \
  --env-var "baseUrl=$base_url" --env-var "simUrl=$sim_url" \
  --timeout 600000 --timeout-request 120000 \
  --reporters cli,json --reporter-json-export "$work/newman.json" \
  --color off "$@" || status=$?

node -e '
  const s = require(process.argv[1]).run.stats;
  const line = (k) => `${s[k].total - s[k].failed}/${s[k].total}`;
  console.log(`newman: requests ${line("requests")} ok, assertions ${line("assertions")} passed`);
' "$work/newman.json" || true
exit "$status"
