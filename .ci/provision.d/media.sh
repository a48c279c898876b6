#!/usr/bin/env bash
# Media tests: rtpengine (userspace; rtpengine-daemon + rtpengine-utils, NOT the rtpengine
# metapackage, whose kernel-module build cannot load on CI machines), baresip as a real SIP phone,
# espeak-ng and sox to generate the prompts. Install whatever is missing.
set -euo pipefail
need=()
command -v rtpengine >/dev/null || need+=(rtpengine-daemon rtpengine-utils)
command -v baresip >/dev/null || need+=(baresip-core)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# Debian starts packaged services on install; the tests run their own instances on free ports.
if command -v systemctl >/dev/null && systemctl is-active --quiet rtpengine-daemon 2>/dev/null; then
  systemctl stop rtpengine-daemon || true
fi
rtpengine --version 2>&1 | head -1 || true
