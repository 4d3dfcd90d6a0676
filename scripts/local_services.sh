#!/usr/bin/env bash
# Print `export DATABASE_URL=… REDIS_URL=…` for `make test` and `make demo` (SPEC.md section 2):
# the caller's own URLs when set; otherwise the servers on 127.0.0.1 at the standard ports;
# otherwise throwaway servers under .local/ on other ports, installed from the system packages
# when absent. The database named by $1 is created when missing. LOCAL_SERVICES=throwaway skips
# the standard ports (to check that path on a machine that has servers running).
set -euo pipefail
dbname=${1:-outbound}
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.local"
mkdir -p "$state"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
standard() { [ "${LOCAL_SERVICES:-}" != throwaway ] && listening "$1"; }
log() { echo "local_services: $*" >&2; }

apt_install() {
  log "installing $* from the system packages"
  if [ "$(id -u)" = 0 ]; then sudo_cmd=""; else sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >&2
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] && ! command -v initdb >/dev/null; then
    apt_install postgresql
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "${dir:-$(dirname "$(command -v initdb)")}"
}

# initdb and the server refuse to run as root: run them as the postgres account.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_throwaway_postgres() {
  local bin port=55432 data="$state/pg"
  bin=$(pg_bin)
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --home "$data" postgres; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data" && chown "$(as_pg id -u)" "$data" 2>/dev/null || true
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  fi
  if ! listening "$port"; then
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
  fi
  echo "postgres://postgres@127.0.0.1:$port"
}

start_throwaway_redis() {
  local port=56379
  command -v redis-server >/dev/null || apt_install redis-server
  if ! listening "$port"; then
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
      --dir "$state" --logfile "$state/redis.log" --pidfile "$state/redis.pid" >&2
    for _ in $(seq 50); do listening "$port" && break; sleep 0.1; done
  fi
  echo "redis://127.0.0.1:$port/0"
}

if [ -z "${DATABASE_URL:-}" ]; then
  if standard 5432; then server="postgres://postgres@127.0.0.1:5432"; else server=$(start_throwaway_postgres); fi
  DATABASE_URL="$server/$dbname"
  # Create the database when missing (the server is local and trusts the postgres user).
  "$root/.venv/bin/python" - "$server" "$dbname" <<'PY'
import sys
import psycopg
server, name = sys.argv[1], sys.argv[2]
with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
PY
fi
if [ -z "${REDIS_URL:-}" ]; then
  if standard 6379; then REDIS_URL="redis://127.0.0.1:6379/0"; else REDIS_URL=$(start_throwaway_redis); fi
fi
echo "export DATABASE_URL='$DATABASE_URL' REDIS_URL='$REDIS_URL'"
