#!/usr/bin/env bash
# The bench must not rot: build the release gateway and wa-bench, run `wa-bench --quick` (every
# section at small sizes, about 2-3 minutes) and fail if any row is missing. No timing is asserted:
# figures on a CI machine say nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.ci/install-deps.sh run
cargo build --release --locked -p wa-gateway -p wa-bench
target_dir="${CARGO_TARGET_DIR:-target}"
"$target_dir/release/wa-bench" --quick --require-all "$@"
