#!/usr/bin/env bash
# rtpengine-daemon (from .ci/tools; install it, not the `rtpengine` metapackage, whose kernel-module
# build cannot load on CI machines) starts its packaged service on install where services run. The
# tests start their own rtpengine on free ports with their own config: stop the packaged one so
# that it holds no ports.
set -euo pipefail
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rtpengine-daemon 2>/dev/null; then
  systemctl stop rtpengine-daemon || true
fi
