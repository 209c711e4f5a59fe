#!/usr/bin/env bash
# Regenerates every picture in docs/, headless (Xvfb for gpui windows, headless Chromium for the
# browser pages), after installing what that needs (scripts/setup-screenshots.sh: Xvfb, Mesa,
# ImageMagick, Chromium and Zed's UI font, IBM Plex Sans):
#   docs/card-STATE-THEME.png         the provider's card in every state, light and dark
#   docs/agent-panel-THEME.png        the agent-panel example against the emulator, light and dark
#   docs/browser-PAGE-THEME.png       the consent page and our callback pages, light and dark
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-screenshots.sh
export PATH="$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-target}"

cargo build -p openai_subscribed_cli --example card --example agent_panel
for theme in light dark; do
  for state in signed-out no-browser browser device-code error signed-in limit official weekly-limit warning rate-limit accounts switch-offer; do
    CAPTURE_WAIT=${CAPTURE_WAIT:-6} bash scripts/screenshot.sh "docs/card-$state-$theme.png" \
      "$target/debug/examples/card" --state "$state" --theme "$theme"
  done
  CAPTURE_WAIT=12 bash scripts/screenshot.sh "docs/agent-panel-$theme.png" \
    "$target/debug/examples/agent_panel" --emulator --auto --theme "$theme"
done

# The browser pages: tests/browser.rs drives Chromium through the sign-in and, with this
# variable set, writes what each page looks like in the light and the dark appearance to docs/.
OPENAI_SUBSCRIBED_UPDATE_SCREENSHOTS=1 OPENAI_SUBSCRIBED_REQUIRE_CHROMIUM=1 \
  cargo test --test browser
