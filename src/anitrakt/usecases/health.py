"""Whether this process can do its job: what `/readyz` and `anitrakt healthcheck` report.

Ready means: the database answers, its schema is at the newest migration this install
ships, and, when the scheduler is enabled, its timer thread is alive. Each check is one
cheap step (a connection and a read of `alembic_version`); the newest migration is read
from the installed scripts once per process. `/livez` only says the process answers.

`anitrakt healthcheck` asks a running server's `/readyz` (see `probe`), so in a
container it checks the process that serves, scheduler included, not a fresh one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from sqlalchemy.exc import SQLAlchemyError

from anitrakt.config import Settings
from anitrakt.store import migrate
from anitrakt.store.db import describe_db_error
from anitrakt.usecases.container import Runtime

OK = "ok"
DISABLED = "disabled"
# A probe that takes longer than this counts as a failure (Docker's default is 30 s).
PROBE_TIMEOUT_SECONDS = 5.0
# Listening on every address: a local probe reaches it through loopback.
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


class SchedulerProbe(Protocol):
    @property
    def alive(self) -> bool: ...


@dataclass(frozen=True)
class Readiness:
    """Each check's verdict (`ok`, `disabled`, or what is wrong) and which ones failed."""

    checks: dict[str, str] = field(default_factory=dict)
    failed: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.failed

    @property
    def reason(self) -> str | None:
        return "; ".join(f"{name}: {self.checks[name]}" for name in self.failed) or None

    def body(self) -> dict[str, Any]:
        """The JSON `/readyz` answers: `{status, checks}`, plus `error` when not ready."""
        body: dict[str, Any] = {"status": "ready" if self.ready else "not ready"}
        if not self.ready:
            body["error"] = self.reason
        body["checks"] = dict(self.checks)
        return body


@functools.cache
def _newest_migration() -> str | None:
    return migrate.head_revision()


def check_readiness(runtime: Runtime, scheduler: SchedulerProbe | None) -> Readiness:
    """Database reachable, schema at head, scheduler alive (None: not enabled here)."""
    checks: dict[str, str] = {}
    failed: list[str] = []

    def bad(name: str, verdict: str) -> None:
        checks[name] = verdict
        failed.append(name)

    try:
        current = migrate.current_revision(runtime.engine)
    except SQLAlchemyError as exc:
        bad("database", "unreachable: " + runtime.events.mask(describe_db_error(exc)))
    else:
        checks["database"] = OK
        head = _newest_migration()
        if current == head:
            checks["migrations"] = f"{OK} (at {head})"
        else:
            bad(
                "migrations",
                f"schema at {current or 'nothing'}, this version needs {head}; "
                "run 'anitrakt db upgrade'",
            )
    if scheduler is None:
        checks["scheduler"] = DISABLED
    elif scheduler.alive:
        checks["scheduler"] = OK
    else:
        bad("scheduler", "the scheduler thread has stopped")
    return Readiness(checks, tuple(failed))


def readyz_url(settings: Settings) -> str:
    """Where the server these settings describe answers `/readyz`, from this machine."""
    host = _ANY_ADDRESS.get(settings.anitrakt_host, settings.anitrakt_host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.anitrakt_port}/readyz"


@dataclass(frozen=True)
class ProbeResult:
    ready: bool
    line: str


def probe(url: str, *, transport: httpx.BaseTransport | None = None) -> ProbeResult:
    """Ask a running server's `/readyz`; one line says what it answered."""
    try:
        with httpx.Client(timeout=PROBE_TIMEOUT_SECONDS, transport=transport) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        return ProbeResult(False, f"not ready: no answer from {url} ({type(exc).__name__})")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return ProbeResult(False, f"not ready: {url} answered HTTP {response.status_code}")
    if response.status_code == httpx.codes.OK and body.get("status") == "ready":
        return ProbeResult(True, "ready")
    reason = body.get("error") or f"HTTP {response.status_code}"
    return ProbeResult(False, f"not ready: {reason}")
