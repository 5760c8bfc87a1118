"""One sync at a time, across threads, processes and machines sharing the database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import utc_now
from anitrakt.errors import ConflictError
from anitrakt.store.db import UNAVAILABLE_ERRORS, describe_db_error
from anitrakt.store.locks import Holder, release, renew, try_acquire

logger = logging.getLogger(__name__)

SYNC_LOCK = "sync"
# A holder that stops heartbeating for this long is presumed dead.
LEASE_TTL = timedelta(seconds=90)
HEARTBEAT_SECONDS = 20.0


class SyncAlreadyRunning(ConflictError):
    """Another sync holds the lock (HTTP 409)."""


# Leases this process failed to release (the database refused the delete). Their runs
# are over, so the next sync here reclaims them at once instead of waiting out the ttl.
_abandoned: set[tuple[str, Holder]] = set()
_abandoned_guard = threading.Lock()


@contextmanager
def sync_lock(sessions: sessionmaker[Session], *, name: str = SYNC_LOCK) -> Iterator[Holder]:
    """Hold the sync lease for the block, heartbeating in the background."""
    holder = Holder.this_process()
    with _abandoned_guard:
        leftovers = [old for lease, old in _abandoned if lease == name]
    with sessions.begin() as session:
        for old in leftovers:
            release(session, name, old)
        taken = try_acquire(session, name, holder, ttl=LEASE_TTL, now=utc_now())
    with _abandoned_guard:
        _abandoned.difference_update((name, old) for old in leftovers)
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
        _release(sessions, name, holder)


def _release(sessions: sessionmaker[Session], name: str, holder: Holder) -> None:
    """Give the lease back; when the database refuses, remember it for the next run here."""
    try:
        with sessions.begin() as session:
            release(session, name, holder)
    except UNAVAILABLE_ERRORS as exc:
        logger.warning(
            "could not release the %s lease (%s); the next sync will reclaim it",
            name,
            describe_db_error(exc),
        )
        with _abandoned_guard:
            _abandoned.add((name, holder))
