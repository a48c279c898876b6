#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 (installing PostgreSQL from Debian's packages
# when missing) and print its SQLAlchemy URL. Usage: eval "$(.ci/pg.sh start DIR PORT)";
# .ci/pg.sh stop DIR. Used by .ci/run and by developers who want the PostgreSQL test run locally.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data directory}; port=${3:-55432}
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ "$cmd" = stop ]; then
  bin=$(pgbin); [ -n "$bin" ] && [ -d "$dir" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
if [ -z "$(pgbin)" ] || [ ! -x "$(pgbin)/initdb" ]; then
  echo "installing PostgreSQL from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
bin=$(pgbin)
id postgres >/dev/null 2>&1 || useradd --system --home "$dir" postgres
mkdir -p "$dir"; chmod o+x "$(dirname "$dir")"; chown postgres "$dir"; chmod 700 "$dir"
runuser -u postgres -- "$bin/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres minsheng_test
echo "export MINSHENG_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$port/minsheng_test"
