#!/usr/bin/env bash
# Browser tests (tests/web) drive Debian's Chromium headless through Playwright (no browser
# download); a CJK font makes the Chinese pages and their screenshots legible.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
