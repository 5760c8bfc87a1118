"""One sync at a time, across threads, processes and machines sharing the database.

The holder also writes what it runs (`sync:running`: mode, start, job id) beside the
lease, so a second caller's 409 can name the sync it waits for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import utc_now
from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.errors import ConflictError
from anitrakt.store.db import UNAVAILABLE_ERRORS, describe_db_error
from anitrakt.store.locks import Holder, release, renew, try_acquire
from anitrakt.store.system_config import delete_config, get_config, set_config

logger = logging.getLogger(__name__)

SYNC_LOCK = "sync"
# A holder that stops heartbeating for this long is presumed dead.
LEASE_TTL = timedelta(seconds=90)
HEARTBEAT_SECONDS = 20.0


class SyncAlreadyRunning(ConflictError):
    """Another sync holds the lock (HTTP 409); `details.running` names it when known."""


@dataclass(frozen=True)
class RunningSync:
    """What the lease holder runs: the mode ("full"), since when, and its job if any."""

    mode: str
    started_at: datetime
    job_id: str | None = None

    def encode(self, owner: str) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "startedAt": self.started_at.isoformat(),
            "jobId": self.job_id,
            "owner": owner,
        }

    @classmethod
    def decode(cls, value: Any) -> RunningSync | None:
        if not isinstance(value, dict):
            return None
        started = parse_instant(value.get("startedAt"))
        if started is None or not isinstance(value.get("mode"), str):
            return None
        job = value.get("jobId")
        return cls(value["mode"], started, job if isinstance(job, str) else None)

    def details(self) -> dict[str, Any]:
        return {"mode": self.mode, "startedAt": self.started_at.isoformat(), "jobId": self.job_id}

    def describe(self) -> str:
        started = self.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        job = f"job {self.job_id}, " if self.job_id else ""
        return f"a {self.mode} sync is running ({job}started {started})"


def already_running(running: RunningSync | None) -> SyncAlreadyRunning:
    """The 409 for a caller who finds the lease taken, naming the run when known."""
    if running is None:
        return SyncAlreadyRunning("sync already running; try again when it has finished")
    return SyncAlreadyRunning(
        f"sync already running: {running.describe()}; try again when it has finished",
        details={"running": running.details()},
    )


def current_sync(sessions: sessionmaker[Session]) -> RunningSync | None:
    """The sync the lease holder last said it runs (None when none said so)."""
    with sessions() as session:
        return RunningSync.decode(get_config(session, keys.SYNC_RUNNING))


# Leases this process failed to release (the database refused the delete). Their runs
# are over, so the next sync here reclaims them at once instead of waiting out the ttl.
_abandoned: set[tuple[str, Holder]] = set()
_abandoned_guard = threading.Lock()


@contextmanager
def sync_lock(
    sessions: sessionmaker[Session],
    *,
    name: str = SYNC_LOCK,
    running: RunningSync | None = None,
) -> Iterator[Holder]:
    """Hold the sync lease for the block, heartbeating in the background.

    `running` (what this holder runs) is recorded beside the lease for other callers'
    409s and removed with it.
    """
    holder = Holder.this_process()
    with _abandoned_guard:
        leftovers = [old for lease, old in _abandoned if lease == name]
    with sessions.begin() as session:
        for old in leftovers:
            release(session, name, old)
        taken = try_acquire(session, name, holder, ttl=LEASE_TTL, now=utc_now())
        if taken and name == SYNC_LOCK:
            if running is None:
                delete_config(session, keys.SYNC_RUNNING)
            else:
                set_config(session, keys.SYNC_RUNNING, running.encode(holder.owner))
        other = None if taken else RunningSync.decode(get_config(session, keys.SYNC_RUNNING))
    with _abandoned_guard:
        _abandoned.difference_update((name, old) for old in leftovers)
    if not taken:
        raise already_running(other if name == SYNC_LOCK else None)
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                with sessions.begin() as session:
                    renew(session, name, holder, now=utc_now())
            except Exception:  # noqa: S112 - a missed beat is retried; the ttl is generous
                continue

    beat = threading.Thread(target=heartbeat, name="anitrakt-sync-lease", daemon=True)
    beat.start()
    try:
        yield holder
    finally:
        stop.set()
        beat.join(timeout=5)
        _release(sessions, name, holder)


def _release(sessions: sessionmaker[Session], name: str, holder: Holder) -> None:
    """Give the lease back; when the database refuses, remember it for the next run here."""
    try:
        with sessions.begin() as session:
            said = get_config(session, keys.SYNC_RUNNING)
            if isinstance(said, dict) and said.get("owner") == holder.owner:
                delete_config(session, keys.SYNC_RUNNING)
            release(session, name, holder)
    except UNAVAILABLE_ERRORS as exc:
        logger.warning(
            "could not release the %s lease (%s); the next sync will reclaim it",
            name,
            describe_db_error(exc),
        )
        with _abandoned_guard:
            _abandoned.add((name, holder))
