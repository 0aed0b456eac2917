#!/usr/bin/env bash
# The status page's test (test/e2e/console.test.ts) drives Debian's `chromium` with
# playwright-core, which downloads no browser. `npm test` runs this first: where Chromium
# is missing and we are root with apt-get (CI), it installs Debian's package; otherwise
# it says what to do, and the test fails (it never skips).
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium package for the status page test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium
  exit 0
fi
echo "ensure-chromium: no Chromium at $CHROMIUM, and no root apt-get to install it: the status page test will fail." >&2
echo "ensure-chromium: install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH." >&2
