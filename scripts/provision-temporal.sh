#!/usr/bin/env bash
# Provides the two Temporal servers the project runs on, into .temporal/ (git-ignored), and reuses them later.
#
#  - the Temporal CLI, whose `temporal server start-dev` is the embedded dev server (SQLite persistence, Web UI):
#    built from source with `go install` because the SDK's own download reaches a host this machine cannot reach;
#  - the time-skipping test server (Java, io.temporal:temporal-test-server) fetched from Maven Central with its
#    dependencies, started by a small wrapper that the SDK runs as `<wrapper> <port> [--enable-time-skipping]`.
#
# TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH override either binary (nothing is built for an overridden one).
# On a machine without Go (or without Java and Maven) the matching binary is skipped: the code then falls back to
# the SDK's own download, so a machine with internet access needs nothing more.
#
# Writes .temporal/paths.env with the resolved paths; common/temporal-binaries.ts reads it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.temporal"
CLI_VERSION="v1.5.1"             # later tags carry a `replace` directive and cannot be `go install`ed
TEST_SERVER_VERSION="1.38.0"     # io.temporal:temporal-test-server on Maven Central
mkdir -p "$DEST/bin"

log() { printf '[provision] %s\n' "$*" >&2; }

cli_path=""
if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  [[ -x "$TEMPORAL_CLI_PATH" ]] || { log "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable"; exit 1; }
  cli_path="$TEMPORAL_CLI_PATH"
  log "Temporal CLI: using TEMPORAL_CLI_PATH=$cli_path"
elif [[ -x "$DEST/bin/temporal" && -f "$DEST/bin/temporal.version" && "$(cat "$DEST/bin/temporal.version")" == "$CLI_VERSION" ]]; then
  cli_path="$DEST/bin/temporal"
  log "Temporal CLI $CLI_VERSION: already provisioned"
elif command -v go >/dev/null 2>&1; then
  log "Temporal CLI $CLI_VERSION: go install (first run only, a few minutes on 2 cores)"
  started=$(date +%s)
  GOBIN="$DEST/bin" go install "github.com/temporalio/cli/cmd/temporal@$CLI_VERSION"
  echo "$CLI_VERSION" > "$DEST/bin/temporal.version"
  cli_path="$DEST/bin/temporal"
  log "Temporal CLI built in $(( $(date +%s) - started )) s"
else
  log "Temporal CLI: no Go toolchain; the SDK will download the dev server itself"
fi

test_server_path=""
if [[ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]]; then
  [[ -x "$TEMPORAL_TEST_SERVER_PATH" ]] || { log "TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not an executable"; exit 1; }
  test_server_path="$TEMPORAL_TEST_SERVER_PATH"
  log "test server: using TEMPORAL_TEST_SERVER_PATH=$test_server_path"
elif [[ -x "$DEST/bin/temporal-test-server" && -f "$DEST/test-server/version" && "$(cat "$DEST/test-server/version")" == "$TEST_SERVER_VERSION" ]]; then
  test_server_path="$DEST/bin/temporal-test-server"
  log "test server $TEST_SERVER_VERSION: already provisioned"
elif command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
  log "test server $TEST_SERVER_VERSION: fetching from Maven Central"
  work="$DEST/test-server"
  rm -rf "$work/lib"
  mkdir -p "$work"
  cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.provision</groupId><artifactId>temporal-test-server-deps</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies -DoutputDirectory="$work/lib" -DincludeScope=runtime
  # The SDK gives the server about 5 s to answer: a small serial-GC JVM with C1 only starts fastest on 2 cores,
  # and an AppCDS archive (made once, below) trims class loading further.
  cat > "$DEST/bin/temporal-test-server" <<'WRAPPER'
#!/bin/sh
here="$(cd "$(dirname "$0")/../test-server" && pwd)"
cds=""
[ -f "$here/app.jsa" ] && cds="-XX:SharedArchiveFile=$here/app.jsa -Xshare:auto"
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:MaxRAMPercentage=10 $cds \
  -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
WRAPPER
  chmod +x "$DEST/bin/temporal-test-server"
  # Class-data-sharing archive from one short run (Java >= 13); harmless to skip if it fails.
  port=$((20000 + RANDOM % 20000))
  java -XX:ArchiveClassesAtExit="$work/app.jsa" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -cp "$work/lib/*" io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  sleep 1
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -f "$work/app.jsa" ]] || log "test server: no CDS archive (continuing without)"
  echo "$TEST_SERVER_VERSION" > "$work/version"
  test_server_path="$DEST/bin/temporal-test-server"
  log "test server ready"
else
  log "test server: no Java/Maven; the SDK will download the test server itself"
fi

{
  echo "TEMPORAL_CLI_PATH=$cli_path"
  echo "TEMPORAL_TEST_SERVER_PATH=$test_server_path"
} > "$DEST/paths.env"
log "wrote $DEST/paths.env"
