#!/usr/bin/env bash
# Runs the given command with a real, unlocked Secret Service (GNOME Keyring) in a private D-Bus
# session, so the real-keychain tests run on headless machines and in CI:
#
#   scripts/with-keyring.sh cargo test --test keychain_process
#
# Everything is private and temporary: a fresh 0700 XDG_RUNTIME_DIR, a fresh XDG_DATA_HOME (where
# gnome-keyring keeps its keyring files, so the user's own keyrings are never touched), and a
# session bus that ends with the command. Needs the Debian packages `dbus` and `gnome-keyring`
# (scripts/setup.sh installs them). The command's exit status is this script's.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring: $tool is not installed (run scripts/setup.sh)" >&2
    exit 1
  fi
done

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -m 0700 "$scratch/runtime" "$scratch/data"
export XDG_RUNTIME_DIR="$scratch/runtime"
export XDG_DATA_HOME="$scratch/data"
# The keychain tests must not skip themselves here: a keyring that does not answer is a failure.
export OPENAI_SUBSCRIBED_REQUIRE_KEYRING=1

# Inside the session: start the daemon with the secrets component, unlocking (and so creating) the
# default keyring with a throwaway password read from stdin, then run the command.
dbus-run-session -- bash -c '
  set -euo pipefail
  printf "%s" "with-keyring" | gnome-keyring-daemon --daemonize --unlock --components=secrets >/dev/null
  "$@"
' with-keyring "$@"
