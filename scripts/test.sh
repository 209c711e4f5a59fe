#!/usr/bin/env bash
# Runs every test: formatting, lints, unit and integration tests (against the embedded emulator,
# over real loopback sockets), and the real-keychain test inside a private D-Bus session with an
# unlocked gnome-keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

# setup.sh installed Chromium: the browser test must run, not skip itself.
export OPENAI_SUBSCRIBED_REQUIRE_CHROMIUM=1

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
scripts/with-keyring.sh cargo test --all-targets
cargo test --doc
