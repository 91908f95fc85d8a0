#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the Postgres store's tests: installs Debian's `postgresql` when missing,
# runs initdb into a temp folder, starts it on a free loopback port (its unix socket in the same folder),
# creates a database and exports SWAPBENCH_TEST_POSTGRES=postgres://swapbench:<password>@127.0.0.1:<port>/swapbench.
# The cluster is stopped and its folder removed when the shell exits.
#
#   source .ci/postgres.sh                       (what .ci/run does: the rest of that shell sees the variable)
#   bash .ci/postgres.sh <command> [args...]     (runs one command with the cluster up, e.g.
#     bash .ci/postgres.sh npx -y pnpm@12 exec vitest run --project core postgres)
#
# A password (scram-sha-256 on TCP) rather than trust, so the tests see a URI with credentials in it, as a
# team's would be, and can check that none is ever printed.

swapbench_pg_start() {
  SWAPBENCH_PG_CTL=()
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
    echo ".ci/postgres.sh: installing postgresql" >&2
    if [[ "$(id -u)" == 0 ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi

  SWAPBENCH_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/swapbench-pg.XXXXXX")"
  # Postgres refuses to run as root: then the cluster belongs to the `postgres` user the package created.
  local as=()
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$SWAPBENCH_PG_DIR"
    as=(runuser -u postgres --)
  fi

  local password port
  password="$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$SWAPBENCH_PG_DIR/pwfile"
  chmod 644 "$SWAPBENCH_PG_DIR/pwfile"
  "${as[@]}" "$bin/initdb" -D "$SWAPBENCH_PG_DIR/data" -U swapbench --pwfile="$SWAPBENCH_PG_DIR/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$SWAPBENCH_PG_DIR/initdb.log" 2>&1 ||
    { cat "$SWAPBENCH_PG_DIR/initdb.log" >&2; return 1; }
  rm -f "$SWAPBENCH_PG_DIR/pwfile"

  # A free port: a few random tries in the ephemeral range; pg_ctl fails fast when one is taken.
  local tries
  for tries in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 30000))
    if "${as[@]}" "$bin/pg_ctl" -D "$SWAPBENCH_PG_DIR/data" -l "$SWAPBENCH_PG_DIR/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $SWAPBENCH_PG_DIR -c fsync=off -c max_connections=200" start >/dev/null; then
      break
    fi
    port=""
  done
  if [[ -z "$port" ]]; then
    cat "$SWAPBENCH_PG_DIR/server.log" >&2
    return 1
  fi
  SWAPBENCH_PG_CTL=("${as[@]}" "$bin/pg_ctl" -D "$SWAPBENCH_PG_DIR/data")
  "${as[@]}" "$bin/createdb" -h "$SWAPBENCH_PG_DIR" -p "$port" -U swapbench swapbench
  export SWAPBENCH_TEST_POSTGRES="postgres://swapbench:$password@127.0.0.1:$port/swapbench"
  echo ".ci/postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $SWAPBENCH_PG_DIR)" >&2
}

swapbench_pg_stop() {
  if [[ -n "${SWAPBENCH_PG_DIR:-}" && -d "$SWAPBENCH_PG_DIR" ]]; then
    if [[ ${#SWAPBENCH_PG_CTL[@]} -gt 0 ]]; then "${SWAPBENCH_PG_CTL[@]}" stop -m fast -w >/dev/null 2>&1 || true; fi
    rm -rf "$SWAPBENCH_PG_DIR"
  fi
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  # Sourced: keep whatever EXIT trap the caller has, and stop the cluster after it.
  swapbench_pg_previous_trap="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")"
  trap "${swapbench_pg_previous_trap:+$swapbench_pg_previous_trap; }swapbench_pg_stop" EXIT
  swapbench_pg_start || { swapbench_pg_stop; return 1; }
else
  set -euo pipefail
  trap swapbench_pg_stop EXIT
  swapbench_pg_start
  if [[ $# -gt 0 ]]; then
    "$@"
  else
    echo "SWAPBENCH_TEST_POSTGRES=$SWAPBENCH_TEST_POSTGRES (stopped when this script exits; give a command to run with it)" >&2
  fi
fi
