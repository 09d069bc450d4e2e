#!/usr/bin/env bash
# A full Temporal server (go.temporal.io/server, all four services in one process) on PostgreSQL, on this machine,
# to prove the project runs on the same engine as production (docker-compose.yml) without Docker.
#
#   bash scripts/real-engine/setup.sh     then   TEMPORAL_ENGINE_ADDRESS=127.0.0.1:27233 npx jest test/engine
#   bash scripts/real-engine/stop.sh      stops the server and PostgreSQL (data kept for the next start)
#
# Everything lives in .temporal/engine/ (git-ignored): bin/ (the two Go binaries, built once), schema/ (the SQL
# schema copied from the server module), pgdata/ + run/ (PostgreSQL), config/, logs/. Idempotent: every step checks
# what is already there, so a second run only starts what is stopped (a few seconds).
#
# Why v1.31.2 and not the newest 1.31.x: v1.31.3 and v1.31.4 require go.temporal.io/auto-scaled-workers
# v0.0.0-1.31.2 and v1.31.5 requires v0.0.1-1.31.2, whose zips the Go module proxy refuses (403 "not available"), so
# they cannot be built from the proxy at all; v1.31.2 requires a pseudo-version the proxy serves, has no `replace`
# directive and needs go >= 1.26.4, so a plain `go install pkg@version` works. docker-compose.yml's 1.31.0 image has
# the same postgres12 schema versions.
#
# Environment overrides: TEMPORAL_SERVER_VERSION, ENGINE_PG_PORT (55432), ENGINE_FRONTEND_PORT (27233),
# ENGINE_NAMESPACE (default).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENGINE="$ROOT/.temporal/engine"
SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.31.2}"
PG_PORT="${ENGINE_PG_PORT:-55432}"
FRONTEND_PORT="${ENGINE_FRONTEND_PORT:-27233}"
NAMESPACE="${ENGINE_NAMESPACE:-default}"
ADDRESS="127.0.0.1:$FRONTEND_PORT"
# Development credentials, as docker-compose.yml's defaults: the database listens on 127.0.0.1 only.
DB_USER=temporal
DB_PASSWORD=temporal
BIN="$ENGINE/bin"
CLI="$ROOT/.temporal/bin/temporal"

log() { printf '[real-engine] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
setup_started=$(date +%s)
mkdir -p "$BIN" "$ENGINE/logs" "$ENGINE/config"

# ---------------------------------------------------------------------------------------------------------------
# 1. PostgreSQL from Debian's packages (installed only if missing).
# ---------------------------------------------------------------------------------------------------------------
pg_bindir() { # the newest installed server version's bin dir (Debian keeps them under /usr/lib/postgresql/<ver>)
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$dir" && -x "$dir/initdb" ]] && echo "$dir"
}
if ! PG_BIN="$(pg_bindir)"; then
  [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed and installing it needs root: apt-get install postgresql"
  log "installing PostgreSQL (apt)"
  apt-get update -qq
  # The package's own cluster on 5432 is not used (nor started by us): ours lives under .temporal/engine.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN="$(pg_bindir)" || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
fi

# initdb refuses to run as root: as root, PostgreSQL runs as the `postgres` user the package creates.
if [[ $EUID -eq 0 ]]; then
  PG_OWNER=postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  PG_OWNER="$(id -un)"
  as_pg() { "$@"; }
fi
PGDATA="$ENGINE/pgdata"
PGRUN="$ENGINE/run" # unix socket dir of our own: /var/run/postgresql may be absent or belong to another cluster
PGLOG="$ENGINE/logs/postgresql.log"
mkdir -p "$PGRUN"
touch "$PGLOG"
chown "$PG_OWNER" "$PGRUN" "$PGLOG"

if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
  log "initialising PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') in $PGDATA"
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA"
  chown "$PG_OWNER" "$PGDATA"
  chmod 700 "$PGDATA"
  # Local socket: trust (only the owner reaches run/, mode 700); TCP on 127.0.0.1: password (scram).
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C >/dev/null
fi
chmod 700 "$PGRUN"

if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
else
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  # Settings on the command line, so a changed port needs no edit of postgresql.conf.
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PGRUN -c max_connections=100" \
    start >/dev/null || { tail -n 20 "$PGLOG" >&2; die "PostgreSQL did not start (log: $PGLOG)"; }
fi

psql_admin() { # database, psql arguments...: as the superuser, over our socket
  local db="$1"
  shift
  as_pg "$PG_BIN/psql" -h "$PGRUN" -p "$PG_PORT" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qtA "$@"
}
if [[ "$(psql_admin postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != "1" ]]; then
  log "creating role $DB_USER"
  # CREATEDB: temporal-sql-tool `create` makes the two databases itself, as in the compose setup job.
  psql_admin postgres -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'"
fi

# ---------------------------------------------------------------------------------------------------------------
# 2. temporal-server and temporal-sql-tool, built once per version (the Go build cache makes rebuilds quick).
# ---------------------------------------------------------------------------------------------------------------
if [[ -x "$BIN/temporal-server" && -x "$BIN/temporal-sql-tool" && -d "$ENGINE/schema/postgresql/v12" &&
  "$(cat "$BIN/version" 2>/dev/null)" == "$SERVER_VERSION" ]]; then
  log "temporal-server $SERVER_VERSION: already built"
else
  command -v go >/dev/null 2>&1 || die "Go is needed to build go.temporal.io/server $SERVER_VERSION (go >= 1.26.4)"
  log "building temporal-server and temporal-sql-tool $SERVER_VERSION with $(go version | awk '{print $3}') (first run only)"
  build_started=$(date +%s)
  tmpbin="$(mktemp -d)"
  # No `replace` directive in this version's go.mod, so `go install pkg@version` builds it as released. One
  # invocation for both: they share most packages. `go install` names binaries after their folder (server, sql).
  # -buildvcs=false: there is no VCS checkout to stamp (the source comes from the module proxy).
  if ! GOBIN="$tmpbin" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install \
    "go.temporal.io/server/cmd/server@$SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION" >"$ENGINE/logs/build.log" 2>&1; then
    tail -n 20 "$ENGINE/logs/build.log" >&2
    die "go install failed (log: $ENGINE/logs/build.log)"
  fi
  mv -f "$tmpbin/server" "$BIN/temporal-server"
  mv -f "$tmpbin/sql" "$BIN/temporal-sql-tool"
  rmdir "$tmpbin"
  # The schema files ship in the module source only: keep a copy, so later runs do not need the module cache.
  modsrc="$(go env GOMODCACHE)/go.temporal.io/server@$SERVER_VERSION"
  [[ -d "$modsrc/schema/postgresql/v12" ]] || die "no schema in $modsrc"
  rm -rf "$ENGINE/schema"
  mkdir -p "$ENGINE/schema/postgresql"
  cp -r "$modsrc/schema/postgresql/v12" "$ENGINE/schema/postgresql/"
  chmod -R u+w "$ENGINE/schema" # the module cache is read-only
  echo "$SERVER_VERSION" >"$BIN/version"
  log "built in $(($(date +%s) - build_started)) s"
fi

# ---------------------------------------------------------------------------------------------------------------
# 3. Schemas: same three steps as deploy/temporal/setup-postgres.sh; each one is safe to repeat.
# ---------------------------------------------------------------------------------------------------------------
sql_tool() {
  SQL_PASSWORD="$DB_PASSWORD" "$BIN/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" \
    -u "$DB_USER" "$@"
}
for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  dir="${pair##*:}"
  if [[ "$(psql_admin postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]]; then
    sql_tool --db "$db" create >>"$ENGINE/logs/schema.log" 2>&1 || die "create $db failed (log: $ENGINE/logs/schema.log)"
  fi
  # setup-schema -v 0.0 records version 0.0 only where nothing is recorded; update-schema applies what is missing.
  {
    sql_tool --db "$db" setup-schema -v 0.0 &&
      sql_tool --db "$db" update-schema -d "$ENGINE/schema/postgresql/v12/$dir/versioned"
  } >>"$ENGINE/logs/schema.log" 2>&1 || die "schema of $db failed (log: $ENGINE/logs/schema.log)"
  log "schema of $db: version $(psql_admin "$db" -c 'SELECT curr_version FROM schema_version LIMIT 1')"
done

# ---------------------------------------------------------------------------------------------------------------
# 4. Server configuration: single node, all services in one process, ports away from the defaults (7233 is the
#    compose stack's and the dev server's) so it runs beside them.
# ---------------------------------------------------------------------------------------------------------------
p() { echo $((FRONTEND_PORT + $1)); } # the other ports, relative to the frontend's
cat >"$ENGINE/config/dynamicconfig.yaml" <<'YAML'
# Same as deploy/temporal/dynamicconfig/production-sql.yaml: no forced search-attribute cache refresh (a database
# read at every lookup). The search attributes are registered at run time; registerSearchAttributes waits until the
# server accepts them, and the journeys' tests start after it.
limit.maxIDLength:
  - value: 255
    constraints: {}
YAML

cat >"$ENGINE/config/temporal.yaml" <<YAML
# Written by scripts/real-engine/setup.sh (rewritten on every run). Based on the server's
# config/development-postgres12.yaml of $SERVER_VERSION.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  # Fixed when the cluster is first created (as in docker-compose.yml): change it only with a fresh pgdata.
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: 127.0.0.1:$PG_PORT
        connectProtocol: tcp
        user: $DB_USER
        password: $DB_PASSWORD
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: 127.0.0.1:$PG_PORT
        connectProtocol: tcp
        user: $DB_USER
        password: $DB_PASSWORD
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: { grpcPort: $FRONTEND_PORT, membershipPort: $(p -300), httpPort: $(p 10), bindOnLocalHost: true }
  history:
    rpc: { grpcPort: $(p 1), membershipPort: $(p -299), bindOnLocalHost: true }
  matching:
    rpc: { grpcPort: $(p 2), membershipPort: $(p -298), bindOnLocalHost: true }
  worker:
    rpc: { grpcPort: $(p 6), membershipPort: $(p -294), bindOnLocalHost: true }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: $ADDRESS
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: $ENGINE/config/dynamicconfig.yaml
  pollInterval: 10s
YAML

# ---------------------------------------------------------------------------------------------------------------
# 5. The server, in the background (setsid: it outlives this script; stop.sh ends it by its pid file).
# ---------------------------------------------------------------------------------------------------------------
[[ -x "$CLI" ]] || bash "$ROOT/scripts/provision-temporal.sh" # the CLI checks health and creates the namespace
[[ -x "$CLI" ]] || die "no Temporal CLI at $CLI"
t() { "$CLI" "$@" --address "$ADDRESS"; }
PIDFILE="$ENGINE/temporal-server.pid"
SERVER_LOG="$ENGINE/logs/temporal-server.log"

if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  log "temporal-server already running (pid $(cat "$PIDFILE"))"
else
  log "starting temporal-server $SERVER_VERSION on $ADDRESS (log: $SERVER_LOG)"
  server_started=$(date +%s)
  # --allow-no-auth: no authorizer on this local, loopback-only node (the server only warns without it today).
  setsid "$BIN/temporal-server" --config-file "$ENGINE/config/temporal.yaml" --allow-no-auth start \
    >>"$SERVER_LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
fi
pid="$(cat "$PIDFILE")"
for i in $(seq 1 120); do
  if t operator cluster health >/dev/null 2>&1; then break; fi
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$SERVER_LOG" >&2; die "temporal-server exited (log: $SERVER_LOG)"; }
  [[ $i -lt 120 ]] || die "the frontend did not answer on $ADDRESS within 120 s (log: $SERVER_LOG)"
  sleep 1
done
if [[ -n "${server_started:-}" ]]; then log "frontend serving after $(($(date +%s) - server_started)) s"; fi

# ---------------------------------------------------------------------------------------------------------------
# 6. Namespace and the project's search attributes (contracts/search-attributes.ts, through the same
#    registerSearchAttributes the API and the worker run at start).
# ---------------------------------------------------------------------------------------------------------------
if t operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1; then
  log "namespace $NAMESPACE exists"
else
  log "creating namespace $NAMESPACE"
  # One day of retention: closed test workflows need not outlive the day.
  t operator namespace create -n "$NAMESPACE" --retention 24h >/dev/null
fi
TEMPORAL_ENGINE_ADDRESS="$ADDRESS" TEMPORAL_NAMESPACE="$NAMESPACE" \
  "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/real-engine/register-search-attributes.ts"

log "ready: TEMPORAL_ENGINE_ADDRESS=$ADDRESS namespace=$NAMESPACE (setup took $(($(date +%s) - setup_started)) s)"
