#!/usr/bin/env bash
# Installs what building and testing openai_subscribed needs on a fresh Debian/Ubuntu machine:
# the C libraries gpui links against (its test-support feature turns on x11 and wayland), a
# Secret Service (gnome-keyring + dbus) for the real keychain test, Debian's Chromium for the
# headless-browser sign-in test (tests/browser.rs), and a Rust toolchain when
# none is present. Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(
  pkg-config
  libxkbcommon-dev libxkbcommon-x11-dev libxcb1-dev libfreetype-dev libfontconfig-dev
  gnome-keyring dbus
  chromium
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing the Rust toolchain (rustup)"
  if ! command -v curl >/dev/null 2>&1; then
    as_root apt-get install -y -qq curl ca-certificates >/dev/null
  fi
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  export PATH="$HOME/.cargo/bin:$PATH"
fi

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
