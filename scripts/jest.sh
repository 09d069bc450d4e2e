#!/usr/bin/env bash
# The jest phase of `npm test`: the whole suite, then, only when every failure of a test file is the time-skipping
# test server losing a workflow task (test/support/lost-workflow-task.ts), that file once more on a new server.
# Any other failure, or the same file failing again, fails the phase. What was run again is printed, with why.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT

npx jest --json --outputFile="$RESULTS" "$@" && exit 0
status=$?
files="$(npx tsx scripts/lost-task-files.ts "$RESULTS")" || exit "$status"
printf '\n==> jest: the time-skipping test server lost a workflow task in these files; running them once more:\n%s\n' "$files"
# shellcheck disable=SC2086 # one path per line, none with spaces (test/…/*.test.ts)
npx jest $files
