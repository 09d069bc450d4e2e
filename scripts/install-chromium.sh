#!/usr/bin/env bash
# Installs Debian's Chromium for the console's browser tests (test/browser), unless it is already there.
# Idempotent: does nothing when /usr/bin/chromium exists. Exits non-zero when the installation fails.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "install-chromium: $CHROMIUM già presente ($("$CHROMIUM" --version 2>/dev/null || echo 'versione sconosciuta'))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-chromium: $CHROMIUM manca e servono i permessi di root per installarlo (apt-get install chromium)" >&2
    exit 1
  fi
fi

echo "install-chromium: $CHROMIUM manca, lo installo con apt-get"
echo "install-chromium: apt-get update"
$SUDO apt-get update
echo "install-chromium: apt-get install -y chromium"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium

if [ ! -x "$CHROMIUM" ]; then
  echo "install-chromium: installazione terminata ma $CHROMIUM non esiste" >&2
  exit 1
fi
echo "install-chromium: installato $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
