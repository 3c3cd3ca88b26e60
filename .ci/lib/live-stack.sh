# Sourced by .ci/newman.sh and .ci/schemathesis.sh: starts wa-sim and wa-gateway (debug binaries)
# on free ports with a temp SESSION_DIR/DATA_DIR and a random API_KEY, and stops both by PID when
# the script exits, failing if a Chromium they started survives.
#   start_stack [NAME=VALUE ...]   extra gateway environment; sets sim_url, base_url, api_key, work
# The caller sets `tag` (for log lines) and runs `cargo build --workspace --bins --locked` first.

START_TIMEOUT=60 # seconds for each process to listen and answer
STOP_TIMEOUT=30  # seconds for each process to exit once signalled
bin="${CARGO_TARGET_DIR:-$PWD/target}/debug"
[[ "$bin" == /* ]] || bin="$PWD/$bin"

log() { echo "$tag: $*" >&2; }

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

exited() { ! kill -0 "$1" 2>/dev/null; }

# Succeeds once `file` holds `pattern`; ends the script at once if process `pid` died instead.
printed() {
  local pid=$1 pattern=$2 file=$3
  if exited "$pid"; then
    log "process $pid exited before printing '$pattern':"
    tail -n 20 "$file" >&2
    exit 1
  fi
  grep -qs -- "$pattern" "$file"
}

# GET `url` answers 200.
http_ok() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1" \
    2>/dev/null
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

work="$(mktemp -d "${TMPDIR:-/tmp}/wa-$tag.XXXXXX")"
sim_pid=""
gateway_pid=""

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

start_stack() {
  # Port 0 everywhere: each process picks a free port and prints it, so two runs never collide.
  "$bin/wa-sim" --port 0 >"$work/sim.log" 2>&1 &
  sim_pid=$!
  wait_for "$START_TIMEOUT" "wa-sim to listen" printed "$sim_pid" '^WhatsApp Web: http' "$work/sim.log"
  sim_url="$(sed -n 's|^WhatsApp Web: \(http://[^ ]*\)/$|\1|p' "$work/sim.log")"

  api_key="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  mkdir -p "$work/run"
  # From an empty directory, so no .env is read; MONGO_URI unset: the embedded store under DATA_DIR.
  (cd "$work/run" && exec env -u MONGO_URI -u MONGO_DB \
    HOST=127.0.0.1 PORT=0 LOG_FORMAT=json RUST_LOG=info API_KEY="$api_key" \
    WA_WEB_URL="$sim_url/" SESSION_DIR="$work/sessions" DATA_DIR="$work/data" \
    QR_WAIT_TIMEOUT_SECS=30 MAX_SESSIONS=5 "$@" \
    "$bin/wa-gateway") >"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  wait_for "$START_TIMEOUT" "wa-gateway to listen" \
    printed "$gateway_pid" '"wa-gateway listening"' "$work/gateway.log"
  local addr
  addr="$(grep '"wa-gateway listening"' "$work/gateway.log" | sed -n 's/.*"addr":"\([^"]*\)".*/\1/p' | head -n1)"
  base_url="http://$addr"
  wait_for "$START_TIMEOUT" "$base_url/health" http_ok "$base_url/health"
  log "gateway $base_url (pid $gateway_pid), simulator $sim_url (pid $sim_pid)"
}
