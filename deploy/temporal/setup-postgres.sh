#!/bin/sh
# One-shot (temporalio/admin-tools): creates the Temporal databases and brings both schemas to the version shipped
# with this admin-tools release. Safe to re-run: `create` ignores an existing database, `setup-schema -v 0.0` keeps
# a newer recorded version, and `update-schema` only applies the missing versioned migrations.
# Same steps as temporalio/samples-server compose/scripts/setup-postgres.sh, with the connection taken from the env.
set -eu

HOST="${POSTGRES_SEEDS:-postgresql}"
PORT="${DB_PORT:-5432}"
USER="${POSTGRES_USER:-temporal}"
export SQL_PASSWORD="${POSTGRES_PWD:-}"   # read by temporal-sql-tool, kept off the command line
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

echo "Waiting for PostgreSQL at $HOST:$PORT..."
attempt=0
until nc -z -w 5 "$HOST" "$PORT"; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "PostgreSQL did not accept connections" >&2
    exit 1
  fi
  sleep 2
done

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$HOST" -p "$PORT" -u "$USER" "$@"
}

setup() { # database, versioned schema folder
  echo "Schema for database '$1'..."
  sql --db "$1" create
  sql --db "$1" setup-schema -v 0.0
  sql --db "$1" update-schema -d "$SCHEMA_DIR/$2/versioned"
}

setup "${DBNAME:-temporal}" temporal
setup "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
echo "PostgreSQL schema setup complete"
