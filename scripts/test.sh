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

cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The product, the stand-ins and the emulator. gpui's `test-support` is on here (the product's
# tests need it) ...
scripts/with-keyring.sh cargo nextest run --workspace --exclude openai_subscribed_cli \
  --lib --bins --tests --examples
# ... and off here: the command line's tests run the `openai-subscribed` binary exactly as
# `scripts/demo.sh` builds it, without gpui's test-support (a separate cargo invocation, so the
# product's dev-dependencies do not turn it on).
scripts/with-keyring.sh cargo nextest run -p openai_subscribed_cli --lib --bins --tests --examples
# The benchmarks have their own harnesses (criterion, a heap counter) that nextest cannot list:
# each runs once in test mode, as `cargo test` runs them, under a time limit of its own.
timeout 600 cargo test --benches
cargo test --workspace --doc
# The product builds alone, outside this workspace, against the stand-ins only, as it would sit
# in Zed's tree; its dependency list is the one docs/zed-drop-in.md gives.
bash scripts/check-drop-in.sh
