#!/usr/bin/env bash
# container-test.sh → build the image and run it as a user would (README, "Running it").
#
# No container registry is reachable from the machines we test on, so the base image is
# built here: a minimal Debian bookworm with python3 and its venv module, made by
# mmdebstrap and imported into podman, cached under $ANITRAKT_CONTAINER_CACHE keyed by a
# hash of what built it (the first run takes a minute or two, later ones seconds). The
# host's extra CA certificates go into it, so pip works behind a TLS-intercepting proxy.
# Podman runs as root with the runc runtime (crun fails on hybrid cgroups) and the
# ulimits these machines accept. Then tests/container_e2e.py runs the scenario: refuse
# to start without a token, start with a volume, /readyz and the HEALTHCHECK, one sync
# inside the container against the fakes served on the host, notifications and pings,
# SIGTERM, a new container on the same volume, and PostgreSQL when one answers.
#
# When the machine cannot run containers (not root, podman or mmdebstrap not
# installable, podman unable to start one) it says so on a line starting with
# "container-test: SKIPPED" and exits 0. ANITRAKT_CONTAINER_TEST=0 skips it too.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
CACHE=${ANITRAKT_CONTAINER_CACHE:-/var/tmp/anitrakt-container-base}
MIRROR=${ANITRAKT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PACKAGES=python3,python3-venv,ca-certificates
IMAGE=localhost/anitrakt:container-test
ULIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
started=$SECONDS

say() { echo "container-test: $*" >&2; }
skip() {
  echo "container-test: SKIPPED: $1"
  echo "container-test: ============ the container test did NOT run ($1) ============" >&2
  exit 0
}

if [ "${ANITRAKT_CONTAINER_TEST:-1}" = 0 ]; then
  skip "ANITRAKT_CONTAINER_TEST=0"
fi
if [ "$(id -u)" != 0 ]; then
  skip "podman needs root here (rootless podman is not set up on these machines)"
fi
missing=()
for tool in podman runc mmdebstrap; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! reason=$(scripts/apt-install.sh podman runc mmdebstrap); then
    skip "cannot install ${missing[*]}: $reason"
  fi
fi
RUNC=$(command -v runc)
PODMAN=(podman --runtime "$RUNC")

# -- the base image, cached ---------------------------------------------------------------
shopt -s nullglob
certificates=(/usr/local/share/ca-certificates/*.crt)
shopt -u nullglob
key=$({
  echo "mmdebstrap minbase $SUITE $PACKAGES $MIRROR v1"
  for cert in "${certificates[@]}"; do sha256sum "$cert"; done
} | sha256sum | cut -c1-16)
BASE=localhost/anitrakt-base:$key
if ! "${PODMAN[@]}" image exists "$BASE"; then
  tarball=$CACHE/$key.tar
  if [ ! -s "$tarball" ]; then
    mkdir -p "$CACHE"
    rm -f "$CACHE"/*.tar  # bases built from something else
    partial=$CACHE/$key.partial.tar  # mmdebstrap picks the format by the name's ending
    say "building the base image with mmdebstrap ($SUITE: $PACKAGES; once, about a minute)"
    hooks=()
    if [ ${#certificates[@]} -gt 0 ]; then
      hooks+=(--customize-hook="copy-in ${certificates[*]} /usr/local/share/ca-certificates/")
      hooks+=(--customize-hook='chroot "$1" update-ca-certificates')
    fi
    if ! mmdebstrap --quiet --variant=minbase --include="$PACKAGES" "${hooks[@]}" \
      "$SUITE" "$partial" "$MIRROR" >"$CACHE/mmdebstrap.log" 2>&1; then
      tail -n 5 "$CACHE/mmdebstrap.log" >&2
      rm -f "$partial"
      skip "mmdebstrap could not build a $SUITE base (log: $CACHE/mmdebstrap.log)"
    fi
    mv "$partial" "$tarball"
  fi
  say "importing the base image $BASE"
  "${PODMAN[@]}" import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tarball" "$BASE" >/dev/null
fi
if ! probe=$("${PODMAN[@]}" run --rm --network none "${ULIMITS[@]}" "$BASE" python3 -c 'print("ok")' 2>&1); then
  skip "podman cannot start a container here: $(echo "$probe" | tail -n 1)"
fi

# -- the image ----------------------------------------------------------------------------
say "building $IMAGE (BASE=$BASE; the docker format keeps the HEALTHCHECK)"
build_log=$(mktemp "${TMPDIR:-/tmp}/anitrakt-container-build.XXXXXX")
if ! "${PODMAN[@]}" build --format docker --network host --runtime "$RUNC" "${ULIMITS[@]}" \
  --build-arg "BASE=$BASE" --tag "$IMAGE" . >"$build_log" 2>&1; then
  tail -n 30 "$build_log" >&2
  echo "container-test: 0 passed, 1 failed (the image did not build; log: $build_log)"
  exit 1
fi
rm -f "$build_log"
# Layers of older builds; a day's worth stays, as the cache that makes rebuilds quick.
"${PODMAN[@]}" image prune --force --filter until=24h >/dev/null 2>&1 || true
say "image built after $((SECONDS - started)) s; running the scenario"

set +e
PYTHONPATH=tests "$PYTHON" tests/container_e2e.py "$IMAGE" --runtime "$RUNC"
status=$?
set -e
say "finished in $((SECONDS - started)) s"
exit $status
