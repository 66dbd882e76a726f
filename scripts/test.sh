#!/usr/bin/env bash
# The test command: `go test -race ./...`, after making sure Debian's
# chromium is present (report.html is checked in a real headless browser;
# without one that test fails on purpose). Extra arguments go to go test,
# e.g. `bash scripts/test.sh -json` or `bash scripts/test.sh -run TestX`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: installing Debian's chromium for the report.html browser test" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "scripts/test.sh: chromium is missing; run: sudo apt-get install chromium" >&2
  fi
fi
exec go test -race -count=1 -timeout 20m "$@" ./...
