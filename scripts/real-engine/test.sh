#!/usr/bin/env bash
# `npm run test:engine`: the journey suite on a full Temporal server with PostgreSQL (scripts/real-engine/setup.sh),
# then both stopped again whatever the outcome, so the test command leaves no server behind.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash scripts/real-engine/setup.sh || exit 1
TEMPORAL_ENGINE_ADDRESS="127.0.0.1:${ENGINE_FRONTEND_PORT:-27233}" npx jest test/engine
status=$?
bash scripts/real-engine/stop.sh || true
exit "$status"
