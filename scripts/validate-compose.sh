#!/usr/bin/env bash
# Checks docker-compose.yml (syntax, interpolation, references) with `docker compose config`, which needs only the
# Docker client, not an engine; skips, successfully, where Compose v2 is not installed. Also checks the shell syntax
# of the scripts the compose jobs run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for script in deploy/temporal/*.sh; do
  sh -n "$script"
done

if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config --quiet
  echo "validate-compose: docker-compose.yml is valid ($(docker compose version --short 2>/dev/null || echo compose))"
else
  echo "validate-compose: skipped, 'docker compose' is not available here (deploy/temporal scripts: syntax ok)"
fi
