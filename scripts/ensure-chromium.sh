#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests, then run the
# command given (the test suite), if any.
#
# Playwright's own browser download (`playwright install`) cannot work on the machines we
# test on, so the tests drive the distribution's Chromium instead:
#
#   1. ANITRAKT_CHROMIUM (default /usr/bin/chromium) is executable → nothing to do (fast);
#   2. apt-get is there and we are root (or have password-less sudo) → install it;
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

if ! command -v apt-get >/dev/null 2>&1; then
  finish "no Chromium at $CHROMIUM and no apt-get to install it (install Chromium there)" "$@"
fi

as_root=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    finish "no Chromium at $CHROMIUM and not root (run: sudo apt-get install chromium)" "$@"
  fi
fi

echo "ensure-chromium: installing Debian's chromium with apt-get (once)" >&2
log=$(mktemp "${TMPDIR:-/tmp}/ensure-chromium.XXXXXX")
if "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 &&
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends chromium >>"$log" 2>&1 &&
  [ -x "$CHROMIUM" ]; then
  rm -f "$log"
  echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed" >&2
  finish "" "$@"
fi
tail -n 5 "$log" >&2
finish "apt-get could not install chromium (log: $log)" "$@"
