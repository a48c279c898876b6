#!/usr/bin/env bash
# The SIP tests drive the B2BUA with sipp (Debian package sip-tester); install it when missing.
set -euo pipefail
if ! command -v sipp >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester
fi
sipp -v 2>&1 | grep -m1 SIPp || true
