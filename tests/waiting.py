"""Waiting in tests for an event, never for a duration.

CI runs on a shared, noisy 2-core machine where any step can take ten times as long as
on an idle one, so a test waits until the thing it needs has happened (a server answers,
a file appears, a session blocks on a lock) or the process it waits on has died.
`HANG_GUARD` only turns a real hang into a failure with a message instead of a silent CI
timeout; it is far beyond any plausible slowness (each of these steps takes well under a
second on an idle machine), so it never decides a result.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

HANG_GUARD = 600.0


def wait_until(
    condition: Callable[[], bool],
    *,
    what: str,
    process: subprocess.Popen[bytes] | None = None,
    output: Callable[[], str] = lambda: "",
    interval: float = 0.05,
) -> None:
    """Return once `condition()` holds; fail at once if `process` exits first."""
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(
                f"{what}: the process exited ({process.returncode}) first\n{output()}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not after {HANG_GUARD:.0f} s (hung)\n{output()}")
        time.sleep(interval)


def answers(url: str, *, status: int | None = None) -> Callable[[], bool]:
    """A condition: `url` answers over HTTP (with `status`, when given)."""
    import httpx

    def check() -> bool:
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError:
            return False
        return status is None or response.status_code == status

    return check
