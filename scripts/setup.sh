#!/usr/bin/env bash
# Installs what testing openai_subscribed needs on a fresh Debian/Ubuntu machine: what building
# needs (scripts/setup-build.sh), then a Secret Service (gnome-keyring + dbus) for the real
# keychain test, Debian's Chromium for the headless-browser sign-in test (tests/browser.rs),
# rustfmt and clippy, and cargo-nextest. scripts/test.sh runs it. Safe to run again: it installs
# only what is missing.
set -euo pipefail

# shellcheck source=scripts/setup-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup-build.sh"

apt_install gnome-keyring dbus chromium

if command -v rustup >/dev/null 2>&1; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
      rustup component add "$component"
    fi
  done
fi

# cargo-nextest runs the test suite (scripts/test.sh): each test in its own process, with a time
# limit. A prebuilt binary when the download works, else built from source.
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "setup: installing cargo-nextest"
  mkdir -p "$HOME/.cargo/bin"
  if ! curl -LsSf https://get.nexte.st/latest/linux | tar zxf - -C "$HOME/.cargo/bin" 2>/dev/null \
    || ! "$HOME/.cargo/bin/cargo-nextest" nextest --version >/dev/null 2>&1; then
    cargo install --locked cargo-nextest
  fi
fi
