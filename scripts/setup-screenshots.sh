#!/usr/bin/env bash
# Installs what scripts/screenshots.sh needs on top of building (scripts/setup-build.sh): Xvfb
# and Mesa's software Vulkan for gpui windows without a display, the X tools the capture uses,
# ImageMagick, Debian's Chromium for the browser pages, and Zed's UI font (IBM Plex Sans, Debian's
# `fonts-ibm-plex`), so the pictures are drawn in the font Zed draws with.
set -euo pipefail

# shellcheck source=scripts/setup-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup-build.sh"

apt_install xvfb mesa-vulkan-drivers x11-utils xdotool imagemagick chromium fonts-ibm-plex
