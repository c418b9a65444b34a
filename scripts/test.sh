#!/usr/bin/env bash
# Installs what the test suite needs (redis-server from the OS packages, when missing) and
# runs every check: formatting, clippy, and the whole test suite against real Redis servers
# that the tests start themselves on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-server is missing: installing it from the OS packages" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
fi
redis-server --version

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The README's main command must keep working without a server.
cargo run --locked --example quickstart
cargo test --workspace --locked
