#!/usr/bin/env bash
# Installs what the test suite needs (redis-server from the OS packages, when missing) and
# runs every check: formatting, clippy, and the whole test suite against real Redis servers
# that the tests start themselves on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install a Rust toolchain (1.85 or newer, with rustfmt and clippy) first" >&2
    exit 1
fi

# OS packages the tests use: redis-server and redis-cli, kill (procps), a C linker.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
type -P kill >/dev/null 2>&1 || missing+=(procps)  # the binary, not the builtin
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing from the OS packages: ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
redis-server --version

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The README's main command must keep working without a server.
cargo run --locked --example quickstart
cargo test --workspace --locked
