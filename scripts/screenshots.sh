#!/usr/bin/env bash
# Renders the provider's card in every state, light and dark, into docs/card-STATE-THEME.png
# (through scripts/screenshot.sh, under Xvfb). Needs what screenshot.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p openai_subscribed_cli --example card
for theme in light dark; do
  for state in signed-out browser device-code error signed-in limit official weekly-limit warning rate-limit; do
    CAPTURE_WAIT=${CAPTURE_WAIT:-6} bash scripts/screenshot.sh "docs/card-$state-$theme.png" \
      target/debug/examples/card --state "$state" --theme "$theme"
  done
done
