#!/usr/bin/env bash
# The SIP cluster tests (tests/hotline/sip/test_cluster.py) run Kamailio 5.6 in front of the B2BUA
# nodes, with its registrar and partition map in PostgreSQL: install Debian's packages when
# missing. Packaged services never start by themselves here; the tests start Kamailio.
set -euo pipefail
need=()
command -v kamailio >/dev/null || [ -x /usr/sbin/kamailio ] || need+=(kamailio)
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/db_postgres.so ] || need+=(kamailio-postgres-modules)
dpkg -s kamailio-extra-modules >/dev/null 2>&1 || need+=(kamailio-extra-modules)
dpkg -s kamailio-utils-modules >/dev/null 2>&1 || need+=(kamailio-utils-modules)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# never the packaged service: it would bind 5060 with Debian's configuration
systemctl disable --now kamailio >/dev/null 2>&1 || true
/usr/sbin/kamailio -v | head -n 1
