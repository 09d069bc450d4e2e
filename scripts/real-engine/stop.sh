#!/usr/bin/env bash
# Stops what scripts/real-engine/setup.sh started: the Temporal server (by its pid file), then PostgreSQL (pg_ctl,
# fast shutdown). Data stays in .temporal/engine/pgdata, so setup.sh starts again in seconds; delete
# .temporal/engine/pgdata for a clean cluster (the binaries in .temporal/engine/bin are kept).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENGINE="$ROOT/.temporal/engine"
PIDFILE="$ENGINE/temporal-server.pid"
log() { printf '[real-engine] %s\n' "$*" >&2; }

if [[ -f "$PIDFILE" ]] && pid="$(cat "$PIDFILE")" && kill -0 "$pid" 2>/dev/null; then
  log "stopping temporal-server (pid $pid)"
  kill -TERM "$pid"
  # The server drains its shards on SIGTERM: give it 30 s, then kill it (PostgreSQL keeps what was committed).
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    log "temporal-server still running after 30 s: SIGKILL"
    kill -KILL "$pid"
  fi
else
  log "temporal-server not running"
fi
rm -f "$PIDFILE"

PGDATA="$ENGINE/pgdata"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -f "$PGDATA/PG_VERSION" && -n "$PG_BIN" ]]; then
  # pg_ctl must run as the data directory's owner (postgres when setup.sh ran as root).
  owner="$(stat -c %U "$PGDATA")"
  as_owner=()
  [[ $EUID -eq 0 && "$owner" != root ]] && as_owner=(runuser -u "$owner" --)
  if "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    log "stopping PostgreSQL"
    "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  else
    log "PostgreSQL not running"
  fi
fi
