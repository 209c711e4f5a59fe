#!/usr/bin/env bash
# The main job: the offline demo. Starts the embedded emulator, signs in through the real browser
# flow (an HTTP client plays the browser), lists models, streams a reply with reasoning and a
# tool call, shows usage, forces a refresh and signs out. No network and no account needed. It
# installs only what building needs (scripts/setup-build.sh), not what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-build.sh
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo run --quiet -p openai_subscribed_cli --bin openai-subscribed -- demo "$@"
