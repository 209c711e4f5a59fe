#!/usr/bin/env bash
# Runs every test: formatting, lints, unit and integration tests (against the embedded emulator,
# over real loopback sockets), and the real-keychain test inside a private D-Bus session with an
# unlocked gnome-keyring. The tests run under cargo-nextest: each test in its own process with a
# time limit (.config/nextest.toml), so a hung test fails within two minutes, naming itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

# setup.sh installed Chromium: the browser test must run, not skip itself.
export OPENAI_SUBSCRIBED_REQUIRE_CHROMIUM=1

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
scripts/with-keyring.sh cargo nextest run --lib --bins --tests --examples
# The benchmarks have their own harnesses (criterion, a heap counter) that nextest cannot list:
# each runs once in test mode, as `cargo test` runs them, under a time limit of its own.
timeout 600 cargo test --benches
cargo test --doc
