#!/usr/bin/env bash
# Installs what scripts/screenshots.sh needs on top of building (scripts/setup-build.sh): Xvfb
# and Mesa's software Vulkan for gpui windows without a display, the X tools the capture uses,
# ImageMagick, Debian's Chromium for the browser pages, and Zed's UI font, IBM Plex Sans, so the
# pictures are drawn in the font Zed draws with: Debian's `fonts-ibm-plex` where the release has
# it (Debian 13 on), else the same font from PyPI (`fontpkg-ibm-plex-sans`, its TTF copied to
# /usr/local/share/fonts).
set -euo pipefail

# shellcheck source=scripts/setup-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup-build.sh"

apt_install xvfb mesa-vulkan-drivers x11-utils xdotool imagemagick chromium fontconfig

if ! fc-list | grep -q "IBM Plex Sans"; then
  if apt-cache show fonts-ibm-plex >/dev/null 2>&1; then
    apt_install fonts-ibm-plex
  else
    echo "setup: installing IBM Plex Sans from PyPI (fontpkg-ibm-plex-sans)"
    apt_install python3-pip unzip
    scratch="$(mktemp -d)"
    python3 -m pip download --quiet --no-deps fontpkg-ibm-plex-sans -d "$scratch"
    unzip -q -o "$scratch"/fontpkg_ibm_plex_sans-*.whl -d "$scratch/wheel"
    as_root mkdir -p /usr/local/share/fonts/ibm-plex-sans
    as_root cp "$scratch"/wheel/fontpkg_ibm_plex_sans/files/*.ttf \
      "$scratch"/wheel/fontpkg_ibm_plex_sans/LICENSE /usr/local/share/fonts/ibm-plex-sans/
    rm -rf "$scratch"
  fi
  as_root fc-cache -f >/dev/null
fi
