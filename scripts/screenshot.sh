#!/usr/bin/env bash
# Capture a real screenshot of a gpui 0.2.2 window on a headless Linux box.
# Needs: apt-get install -y xvfb mesa-vulkan-drivers x11-utils xdotool imagemagick
# Usage: scripts/screenshot.sh OUT.png /path/to/gpui-binary [args...]   (CAPTURE_WAIT=seconds to let the app work)
set -euo pipefail
out=$1; shift
disp=${CAPTURE_DISPLAY:-:99}

# 1) Xvfb WITHOUT the Composite extension: then the screen has no depth-32 (ARGB) visual and gpui
#    falls back to the depth-24 root visual. (With a depth-32 window, Mesa 22.3's lavapipe X11
#    software present does PutImage with depth 24 -> nothing lands in the window -> black.)
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp -extension Composite >/dev/null 2>&1 &
xvfb=$!
# On exit, wait for both to be gone: a next capture on the same display must not meet this Xvfb
# still shutting down (its lock file still there, so the new one exits and the capture has none).
app=
stop() {
  if [ -n "$app" ]; then kill "$app" 2>/dev/null; wait "$app" 2>/dev/null || true; fi
  kill "$xvfb" 2>/dev/null; wait "$xvfb" 2>/dev/null || true
}
trap stop EXIT
export DISPLAY=$disp
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
kill -0 "$xvfb" 2>/dev/null || { echo "Xvfb did not start on $disp" >&2; exit 1; }

# 2) Run the app on X11 (not Wayland) with lavapipe.
unset WAYLAND_DISPLAY
"$@" &
app=$!
win=$(xdotool search --sync --pid "$app" | head -1)   # gpui sets _NET_WM_PID

# 3) Wake gpui's event loop: its MapNotify sits unread in xcb's queue, so the refresh loop never
#    starts until some other X event arrives for the client. A PropertyNotify on its window does it.
sleep 2
xprop -id "$win" -f _CAPTURE_POKE 8s -set _CAPTURE_POKE 1
sleep "${CAPTURE_WAIT:-3}"     # first frame on llvmpipe (shader compile etc.), and the app's own work

import -window "$win" "$out"
echo "window $win -> $out: mean=$(convert "$out" -format '%[fx:mean]' info:)"
