#!/usr/bin/env bash
# Starts (or stops) the MongoDB-compatible test server the store contract suite runs against.
# SecantusDB is GPL-2.0, so it lives in its own venv and process, never in what we ship.
#
#   .ci/mongo-test-server.sh [start]   idempotent; prints the URI for TEST_MONGO_URI on stdout
#   .ci/mongo-test-server.sh stop
#
# Env: MONGO_TEST_PORT (27017), MONGO_TEST_DEADLINE seconds to wait for the port (60).
set -euo pipefail

CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$CI_DIR/venv"
TMP="$CI_DIR/tmp"
PORT="${MONGO_TEST_PORT:-27017}"
DEADLINE="${MONGO_TEST_DEADLINE:-60}"
PID_FILE="$TMP/mongo-test-server-$PORT.pid"
LOG_FILE="$TMP/mongo-test-server-$PORT.log"
STORAGE="$TMP/mongo-data-$PORT"
VERSION="0.7.0b3"
# retryWrites piles up on this server (0.5 ms -> 10 ms inserts) and it drops connections idle 300 s.
URI="mongodb://127.0.0.1:$PORT/?retryWrites=false&maxIdleTimeMS=60000"

log() { echo "mongo-test-server: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# The pid from our pid file, if that process is still alive and still our server (pids get reused).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && grep -q secantusd "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

ensure_venv() {
  local installed=""
  [[ -x "$VENV/bin/secantusd-py" ]] && installed="$("$VENV/bin/pip" show SecantusDB 2>/dev/null || true)"
  if grep -qx "Version: $VERSION" <<<"$installed"; then
    return
  fi
  log "installing SecantusDB==$VERSION into $VENV"
  [[ -x "$VENV/bin/pip" ]] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "SecantusDB==$VERSION" >&2
}

start() {
  mkdir -p "$TMP"
  if running_pid >/dev/null; then
    log "already running (pid $(running_pid))"
  else
    if port_open; then
      log "port $PORT is taken by a process we did not start; refusing to guess"
      exit 1
    fi
    ensure_venv
    # Test data never needs to outlive the server, and its write-ahead logs only grow.
    rm -rf "$STORAGE" && mkdir -p "$STORAGE"
    # No --standalone: transactions and change streams need the default replica-set mode.
    nohup "$VENV/bin/secantusd-py" --host 127.0.0.1 --port "$PORT" --storage-path "$STORAGE" \
      --log-level WARNING >"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    log "started pid $! (log $LOG_FILE)"
  fi
  local end=$((SECONDS + DEADLINE))
  until port_open; do
    if ! running_pid >/dev/null; then
      log "server exited; last log lines:"; tail -n 20 "$LOG_FILE" >&2 || true
      exit 1
    fi
    if ((SECONDS >= end)); then
      log "port $PORT not accepting after ${DEADLINE}s"; tail -n 20 "$LOG_FILE" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  echo "$URI"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"; rm -f "$PID_FILE"; return
  fi
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped pid $pid"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  uri) echo "$URI" ;;
  *) echo "usage: $0 [start|stop|uri]" >&2; exit 2 ;;
esac
