#!/usr/bin/env bash
# Kamailio's modules for the SIP cluster (tests/hotline/sip/test_cluster*.py): the PostgreSQL
# driver (registrar and partition map in PostgreSQL) and the extra and utils module packages
# (.ci/tools installs kamailio itself). Module files are not executables, which a line of
# ../tools can check, hence this script. The packaged service is never started: the tests start
# Kamailio with the generated configuration on free ports.
set -euo pipefail
need=()
for pkg in kamailio-postgres-modules kamailio-extra-modules kamailio-utils-modules; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
systemctl disable --now kamailio >/dev/null 2>&1 || true
