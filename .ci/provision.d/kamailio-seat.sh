#!/usr/bin/env bash
# Kamailio's modules for the browser seat's front (tests/hotline/sip/test_seat_browser.py,
# tests/web/test_staff_hotline_seat.py; docs/hotline-seat.md): SIP over WebSocket, ephemeral
# credentials (auth_ephemeral) and TLS for wss:// (.ci/tools installs kamailio itself; module
# files are not executables a line of ../tools can check). The packaged service is never started.
set -euo pipefail
need=()
for pkg in kamailio-websocket-modules kamailio-autheph-modules kamailio-tls-modules; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
systemctl disable --now kamailio >/dev/null 2>&1 || true
