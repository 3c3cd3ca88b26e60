#!/usr/bin/env bash
# Runs the Postman collection with newman against a live gateway and simulator (what `make newman`
# runs): installs newman under .ci/node, builds the binaries, starts wa-sim and wa-gateway on free
# ports with a temp SESSION_DIR/DATA_DIR and a random API key, runs the collection, and always
# stops both by PID (see .ci/lib/live-stack.sh). Extra arguments go to `newman run`
# (e.g. --folder Errors).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NEWMAN_VERSION=6
newman=.ci/node/node_modules/.bin/newman
tag=newman

install_newman() {
  if "$newman" --version 2>/dev/null | grep -q "^${NEWMAN_VERSION}\."; then return; fi
  command -v npm >/dev/null || { echo "newman.sh: needs Node.js 20 and npm" >&2; exit 1; }
  echo "newman.sh: npm install newman@${NEWMAN_VERSION} into .ci/node" >&2
  npm install --prefix .ci/node "newman@${NEWMAN_VERSION}" --no-audit --no-fund --loglevel=error
}

.ci/install-deps.sh run
install_newman
cargo build --workspace --bins --locked

# shellcheck source=lib/live-stack.sh
source .ci/lib/live-stack.sh
# Media URLs in the Media folder are served by the simulator, on loopback.
start_stack MEDIA_FETCH_ALLOW_PRIVATE=true

status=0
"$newman" run postman/wa-gateway.postman_collection.json \
  --environment postman/wa-gateway.postman_environment.json \
  --env-var "baseUrl=$base_url" --env-var "simUrl=$sim_url" --env-var "apiKey=$api_key" \
  --timeout 600000 --timeout-request 120000 \
  --reporters cli,json --reporter-json-export "$work/newman.json" \
  --color off "$@" || status=$?

node -e '
  const s = require(process.argv[1]).run.stats;
  const line = (k) => `${s[k].total - s[k].failed}/${s[k].total}`;
  console.log(`newman: requests ${line("requests")} ok, assertions ${line("assertions")} passed`);
' "$work/newman.json" || true
exit "$status"
