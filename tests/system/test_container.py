"""The container image, built and run by scripts/container-test.sh (podman, as root).

The script skips, saying why on a `container-test: SKIPPED` line, where the machine
cannot run containers; the reason then shows in pytest's summary like the PostgreSQL
and browser skips. The first run builds and caches a Debian base (a minute or two);
later runs take under a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import paths

ROOT = paths.ROOT
SKIPPED = "container-test: SKIPPED: "
# The first run downloads Debian packages and the Python dependencies.
TIMEOUT_SECONDS = 1800


@pytest.mark.container
def test_the_image_builds_runs_a_sync_and_keeps_its_data() -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "container-test.sh")],
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    for line in result.stdout.splitlines():
        if result.returncode == 0 and line.startswith(SKIPPED):
            pytest.skip(f"container test skipped: {line.removeprefix(SKIPPED)}")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert result.stdout.rstrip().endswith("passed, 0 failed"), result.stdout[-3000:]
