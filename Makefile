# The two commands of the README's Quick start, and a few helpers.
.PHONY: run test newman fuzz sim lint fmt ci bench

PORT ?= 5000

## Run the gateway (embedded store, ./sessions and ./data), installing Chromium if missing.
run:
	.ci/install-deps.sh run
	cargo run --release --bin wa-gateway

## Run the whole test suite, installing Chromium, the test runner and the MongoDB test server.
test:
	.ci/test.sh

## Run the Postman collection with newman against a fresh gateway and simulator (installs newman).
newman:
	.ci/newman.sh

## Fuzz the API from its OpenAPI document with schemathesis against a fresh gateway and simulator.
fuzz:
	.ci/schemathesis.sh

## Run the WhatsApp Web simulator (the sandbox) on port 7000.
sim:
	.ci/install-deps.sh run
	cargo run --release -p wa-sim -- --port 7000

## Benchmark the release gateway (real Chromium, wa-sim); ARGS="--quick" or "--only send,rps --json".
bench:
	.ci/install-deps.sh run
	cargo build --release -p wa-gateway -p wa-bench
	"$${CARGO_TARGET_DIR:-target}/release/wa-bench" $(ARGS)

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

ci:
	.ci/run
