#!/usr/bin/env bash
# The whole test suite (what `make test` runs): installs what is missing, starts the MongoDB test
# server unless TEST_MONGO_URI points at one, runs every test of the workspace, stops the server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

.ci/install-deps.sh test
if [[ -z "${TEST_MONGO_URI:-}" ]]; then
  TEST_MONGO_URI="$(.ci/mongo-test-server.sh start)"
  export TEST_MONGO_URI
  trap '.ci/mongo-test-server.sh stop' EXIT
fi
cargo nextest run --workspace --all-targets --no-fail-fast "$@"
# Doc tests are not run by nextest.
cargo test --workspace --doc --quiet
