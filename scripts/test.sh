#!/usr/bin/env bash
# `npm test`: everything CI checks, in order, on a fresh machine. Stops at the first failing phase and prints how
# long each phase took, then one closing line with the test counts of every Jest run ("tests: N passed, N failed").
#
#   provision   Temporal CLI (Go) and Java test server (Maven), first run only (scripts/provision-temporal.sh)
#   chromium    Debian's Chromium for the console's browser tests (scripts/install-chromium.sh)
#   lint        eslint + prettier --check;  typecheck: tsc --noEmit, and the console's JS (tsconfig.console.json)
#               compose: docker compose config
#   jest        the suite: domain, integrations, sandbox, activities, time-skipping workflows, e2e, replay, API,
#               import, browser, security (scripts/jest.sh: a file whose only failures are the time-skipping test
#               server losing a workflow task runs once more)
#   faults      real processes killed and restarted (test/faults, ~4 min)
#   bench       the scale benchmark's small version: fails only when something breaks, never on timing
#   engine      the journey suite on a full Temporal server with PostgreSQL (scripts/real-engine/test.sh)
#
# SKIP_PHASES="engine bench" leaves phases out locally; CI sets nothing and runs them all.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SUMMARY="$(mktemp)"
export TEST_SUMMARY_FILE="$SUMMARY"
trap 'rm -f "$SUMMARY"' EXIT
timings=()

phase() {
  local name="$1"
  shift
  if [[ " ${SKIP_PHASES:-} " == *" $name "* ]]; then
    timings+=("$(printf '%-10s skipped' "$name")")
    return 0
  fi
  printf '\n==> %s: %s\n' "$name" "$*"
  local started=$SECONDS
  "$@"
  local status=$?
  timings+=("$(printf '%-10s %4d s%s' "$name" $((SECONDS - started)) "$([[ $status -ne 0 ]] && echo '  FAILED')")")
  if [[ $status -ne 0 ]]; then
    finish
    exit "$status"
  fi
}

finish() {
  printf '\nphases:\n'
  printf '  %s\n' "${timings[@]}"
  # One closing line over every Jest run (test/support/summary-reporter.js appends "passed failed skipped").
  awk '{ p += $1; f += $2; s += $3 } END {
    line = sprintf("tests: %d passed, %d failed", p, f); if (s > 0) line = line sprintf(", %d skipped", s); print "\n" line
  }' "$SUMMARY"
}

phase provision bash scripts/provision-temporal.sh
phase chromium bash scripts/install-chromium.sh
phase lint npm run --silent lint
phase typecheck npm run --silent typecheck
phase compose bash scripts/validate-compose.sh
phase jest bash scripts/jest.sh
phase faults npm run --silent test:faults
phase bench npm run --silent bench:ci
phase engine npm run --silent test:engine
finish
