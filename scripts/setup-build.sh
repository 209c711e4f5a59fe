#!/usr/bin/env bash
# Installs what building openai_subscribed and running its demo need on a fresh Debian/Ubuntu
# machine, and nothing more: the C libraries gpui links against and a Rust toolchain when none is
# present. scripts/demo.sh runs this; scripts/setup.sh (for the tests) runs it and adds the rest.
# Safe to run again: it installs only what is missing, with sudo only when not root.
set -euo pipefail

# shellcheck source=scripts/apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

apt_install pkg-config \
  libxkbcommon-dev libxkbcommon-x11-dev libxcb1-dev libfreetype-dev libfontconfig-dev

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing the Rust toolchain (rustup)"
  if ! command -v curl >/dev/null 2>&1; then
    apt_install curl ca-certificates
  fi
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  export PATH="$HOME/.cargo/bin:$PATH"
fi
