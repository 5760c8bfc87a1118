#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests, then run the
# command given (the test suite), if any.
#
# Playwright's own browser download (`playwright install`) cannot work on the machines we
# test on, so the tests drive the distribution's Chromium instead:
#
#   1. ANITRAKT_CHROMIUM (default /usr/bin/chromium) is executable → nothing to do (fast);
#   2. scripts/apt-install.sh can install the package (root or password-less sudo);
#   3. otherwise say so loudly and export ANITRAKT_CHROMIUM_MISSING with the reason: the
#      browser tests are then reported as SKIPPED with that reason, never silently.
set -uo pipefail

CHROMIUM=${ANITRAKT_CHROMIUM:-/usr/bin/chromium}

finish() {  # finish [REASON] → run the command (or exit), telling the tests what is missing
  if [ -n "${1:-}" ]; then
    echo "ensure-chromium: $1; the browser tests will be SKIPPED" >&2
    export ANITRAKT_CHROMIUM_MISSING="$1"
  fi
  if [ $# -gt 0 ]; then shift; fi
  if [ $# -gt 0 ]; then exec "$@"; fi
  exit 0
}

if [ -x "$CHROMIUM" ]; then
  finish "" "$@"
fi

if [ "$CHROMIUM" != /usr/bin/chromium ]; then
  finish "ANITRAKT_CHROMIUM=$CHROMIUM is not an executable file" "$@"
fi

if ! reason=$("$(dirname "$0")/apt-install.sh" chromium); then
  finish "no Chromium at $CHROMIUM: $reason" "$@"
fi
if [ ! -x "$CHROMIUM" ]; then
  finish "the chromium package did not provide $CHROMIUM" "$@"
fi
echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed" >&2
finish "" "$@"
