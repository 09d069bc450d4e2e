#!/usr/bin/env bash
# Checks docker-compose.yml (syntax, interpolation, references) with `docker compose config`, which needs only the
# Docker client, not an engine; skips, successfully, where Compose v2 is not installed. Also checks the shell syntax
# of the scripts the compose jobs run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for script in deploy/temporal/*.sh; do
  sh -n "$script"
done

COMPOSE_VERSION="v5.6.0"
LOCAL_COMPOSE=".temporal/bin/docker-compose"

# `docker compose` when the plugin is there; otherwise Compose built once from its Go module into .temporal/
# (`go install` refuses the module for its exclude directives, so it is built inside the downloaded module).
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif [[ -x "$LOCAL_COMPOSE" && "$(cat "$LOCAL_COMPOSE.version" 2>/dev/null)" == "$COMPOSE_VERSION" ]]; then
  compose=("$LOCAL_COMPOSE")
elif command -v go >/dev/null 2>&1; then
  echo "validate-compose: building Docker Compose $COMPOSE_VERSION (first run only, a few minutes)"
  mkdir -p .temporal/bin
  go mod download "github.com/docker/compose/v5@$COMPOSE_VERSION"
  module_dir="$(go env GOMODCACHE)/github.com/docker/compose/v5@$COMPOSE_VERSION"
  out="$(pwd)/$LOCAL_COMPOSE"
  (cd "$module_dir" && go build -trimpath -o "$out" ./cmd)
  echo "$COMPOSE_VERSION" > "$LOCAL_COMPOSE.version"
  compose=("$LOCAL_COMPOSE")
else
  echo "validate-compose: skipped, neither 'docker compose' nor Go is available (deploy/temporal scripts: syntax ok)"
  exit 0
fi

"${compose[@]}" -f docker-compose.yml config --quiet
echo "validate-compose: docker-compose.yml is valid (${compose[*]})"
