#!/usr/bin/env bash
# Fuzzes the API from its own OpenAPI document (what `make fuzz` runs): installs schemathesis into
# .ci/venv-schemathesis, builds the binaries, starts wa-sim and wa-gateway on free ports (see
# .ci/lib/live-stack.sh), runs schemathesis over every operation but the endless SSE stream with
# a bounded number of examples, and always stops both by PID.
#   SCHEMATHESIS_MAX_EXAMPLES (10)   examples per operation and phase
#   SCHEMATHESIS_SEED (4711)         the same cases every run; set another to explore
# Extra arguments go to `schemathesis run` (e.g. --include-path /wa/send/{id}).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCHEMATHESIS_VERSION=4.32.5
venv=.ci/venv-schemathesis
st="$venv/bin/schemathesis"
tag=schemathesis

install_schemathesis() {
  if "$st" --version 2>/dev/null | grep -q " ${SCHEMATHESIS_VERSION}\$"; then return; fi
  echo "schemathesis.sh: pip install schemathesis==${SCHEMATHESIS_VERSION} into $venv" >&2
  [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}"
}

# Brings up `lo` in a fresh network namespace (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP).
loopback_up() {
  python3 - <<'PY'
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack("16sH22x", fcntl.ioctl(s, 0x8913, struct.pack("16sH22x", b"lo", 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", flags | 1))
PY
}

if [[ -z "${WA_FUZZ_NETNS:-}" ]]; then
  .ci/install-deps.sh run
  install_schemathesis
  cargo build --workspace --bins --locked
  # Fuzzed webhook URLs must reach nothing but this machine: run in a network namespace of our
  # own that has only loopback, where we may make one (root). .ci/schemathesis_hooks.py points
  # the URLs at loopback too, and the deliveries are checked at the end either way.
  if unshare --net true 2>/dev/null; then
    exec unshare --net env WA_FUZZ_NETNS=1 "$PWD/.ci/schemathesis.sh" "$@"
  fi
  echo "schemathesis.sh: no network namespace (not root?): relying on the hooks" >&2
else
  loopback_up
fi

# shellcheck source=lib/live-stack.sh
source .ci/lib/live-stack.sh
# Few browsers: every accepted add-number starts one.
start_stack MAX_SESSIONS=2 QR_WAIT_TIMEOUT_SECS=20

status_of() { python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}

filters=()
# `ignored_auth` checks that protected routes refuse a request without a key: meaningful only once
# the gateway enforces API keys.
if [[ "$(status_of "$base_url/wa/connections")" == 200 ]]; then
  log "the gateway does not check API keys: skipping the ignored_auth check"
  filters+=(--exclude-checks ignored_auth)
fi
# The key routes are documented before their handlers exist.
if [[ "$(status_of "$base_url/wa/keys")" == 404 ]]; then
  log "the gateway does not serve /wa/keys yet: not fuzzing it"
  filters+=(--exclude-path-regex '^/wa/keys')
fi

status=0
SCHEMATHESIS_HOOKS=.ci/schemathesis_hooks.py "$st" run "$base_url/openapi.json" --url "$base_url" \
  -H "X-Api-Key: $api_key" \
  --checks all "${filters[@]}" \
  --exclude-path /wa/events \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" \
  --seed "${SCHEMATHESIS_SEED:-4711}" \
  --workers 1 --request-timeout 90 --max-failures 50 \
  --report junit --report-junit-path "$work/schemathesis.xml" \
  --wait-for-schema 30 "$@" 2>&1 | tee "$work/schemathesis.out" || status=$?

cases="$(sed -n '/^Test cases:/{n;s/^ *//;p}' "$work/schemathesis.out")"
log "test cases: ${cases:-unknown}"

# No webhook may have gone anywhere but loopback.
if ! python3 - "$base_url" "$api_key" <<'PY'
import json, sys, urllib.request
from urllib.parse import urlsplit
base, key = sys.argv[1:]
req = urllib.request.Request(f"{base}/wa/webhooks/deliveries?limit=500", headers={"X-Api-Key": key})
deliveries = json.load(urllib.request.urlopen(req, timeout=30))
outside = sorted({d["url"] for d in deliveries if urlsplit(d["url"]).hostname != "127.0.0.1"})
if outside:
    print(f"schemathesis.sh: webhook deliveries not to loopback: {outside}", file=sys.stderr)
else:
    print(f"schemathesis.sh: {len(deliveries)} webhook deliveries, all to loopback", file=sys.stderr)
sys.exit(1 if outside else 0)
PY
then
  status=1
fi
exit "$status"
