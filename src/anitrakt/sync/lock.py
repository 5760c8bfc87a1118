"""One sync at a time, across threads, processes and machines sharing the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.errors import ConflictError
from anitrakt.store.locks import Holder, release, renew, try_acquire
from anitrakt.store.types import utc_now

SYNC_LOCK = "sync"
# A holder that stops heartbeating for this long is presumed dead.
LEASE_TTL = timedelta(seconds=90)
HEARTBEAT_SECONDS = 20.0


class SyncAlreadyRunning(ConflictError):
    """Another sync holds the lock (HTTP 409)."""


@contextmanager
def sync_lock(sessions: sessionmaker[Session], *, name: str = SYNC_LOCK) -> Iterator[Holder]:
    """Hold the sync lease for the block, heartbeating in the background."""
    holder = Holder.this_process()
    with sessions.begin() as session:
        taken = try_acquire(session, name, holder, ttl=LEASE_TTL, now=utc_now())
    if not taken:
        raise SyncAlreadyRunning("sync already running; try again when it has finished")
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
        with sessions.begin() as session:
            release(session, name, holder)
