#!/usr/bin/env bash
# apt-install.sh PACKAGE… → install Debian packages the project needs (browser tests,
# the load tool), as root or through password-less sudo. On failure it prints one line
# saying why on stdout and exits 1, so callers can report it in their own words.
set -uo pipefail

if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get to install $* with"
  exit 1
fi

as_root=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "not root (run: sudo apt-get install $*)"
    exit 1
  fi
fi

echo "apt-install: installing Debian's $* with apt-get (once)" >&2
log=$(mktemp "${TMPDIR:-/tmp}/apt-install.XXXXXX")
if "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 &&
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1; then
  rm -f "$log"
  exit 0
fi
tail -n 5 "$log" >&2
echo "apt-get could not install $* (log: $log)"
exit 1
