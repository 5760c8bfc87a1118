"""Reads the web app runs on its event loop, so a read route costs no thread hop.

A route that hands its query to the thread pool pays two thread switches and a GIL
hand-over each way, more than the query behind most read routes; under load the worker
threads also queue behind each other for the GIL (docs/performance.md, issue 18). A
read that only the database's own work can delay runs on the loop instead:

- PostgreSQL: over psycopg's asyncio connection, through SQLAlchemy's greenlet bridge,
  so the same store functions run on it unchanged. A slow or stalled server suspends the
  request that asked, never the loop: `/livez` and every other request still answer.
- SQLite: on one connection of its own (only the loop uses it), in WAL mode, where a
  reader never waits for a writer. Its busy timeout is 0: in the rare moments a reader
  would have to wait (another process holding the file exclusively, recovery after a
  crash) `run` raises `WouldWait` at once, and the caller runs the read in a worker
  thread, where waiting is allowed. Units marked `cacheable` are answered again from
  memory until SQLite reports a change to the database (`_Answers`): a dashboard that
  polls an idle instance reads no rows.

A unit of work sent here may only read. SQLite's connection refuses writes (`PRAGMA
query_only`), and every test runs on SQLite too, so a unit that writes fails there. The
PostgreSQL one reads in autocommit mode, with no transaction to make read-only.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

P = ParamSpec("P")
T = TypeVar("T")
W = TypeVar("W", bound=Callable[..., Any])

# What psycopg's transaction pooler advice (store/db.py) also says: never prepare.
_PG_CONNECT_ARGS = {"prepare_threshold": None}
# One connection: the loop's reads take turns on it. With PostgreSQL on the same two
# cores, more connections in flight only made the server processes compete with the app
# (8 connections of load: /api/logs p95 11 ms on one, 21-25 ms on two or four).
PG_LOOP_POOL_SIZE = 1
# A read that cannot have the connection this soon (a slow query ahead of it) goes to a
# worker thread and the main pool instead of queueing longer.
PG_LOOP_POOL_WAIT_SECONDS = 1.0


# How many answers a SQLite loop reader keeps (one per unit and arguments): the few
# pages a dashboard polls.
KEPT_ANSWERS = 16
_CACHEABLE = "_anitrakt_loop_cacheable"


def cacheable(work: W) -> W:
    """Mark a unit of work whose answer depends on the database alone (no clock, no
    settings, no state outside it) and cannot be changed (tuples, frozen dataclasses):
    a SQLite loop reader answers it again from memory while the database is unchanged,
    to every caller alike."""
    setattr(work, _CACHEABLE, True)
    return work


class WouldWait(Exception):
    """The read would have to wait for a lock: run it where waiting is allowed."""


class LoopReads(Protocol):
    async def run(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`work(session, ...)` in a read-only session, without blocking the loop on a wait."""
        ...

    async def close(self) -> None: ...


def open_loop_reads(url: str) -> LoopReads | None:
    """A loop reader for database `url`; None for an in-memory SQLite database, which a
    second connection would not see."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            return None
        return SqliteLoopReads(url)
    return PostgresLoopReads(url)


def _sqlite_reader(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _busy(exc: sa.exc.OperationalError) -> bool:
    orig = exc.orig
    return isinstance(orig, sqlite3.OperationalError) and orig.sqlite_errorcode in (
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    )


class SqliteLoopReads:
    def __init__(self, url: str) -> None:
        # One connection, used by one thread (the loop) one read at a time; pool_timeout=0
        # turns an impossible second checkout into WouldWait rather than a wait.
        self._engine = sa.create_engine(url, pool_size=1, max_overflow=0, pool_timeout=0)
        event.listen(self._engine, "connect", _sqlite_reader)
        self._sessions = sessionmaker(self._engine)
        self._answers = _Answers()

    async def run(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        try:
            with self._sessions() as session:
                if not getattr(work, _CACHEABLE, False):
                    return work(session, *args, **kwargs)
                key = (work, args, tuple(sorted(kwargs.items())))
                return self._answers.get(session, key, lambda: work(session, *args, **kwargs))
        except sa.exc.TimeoutError as exc:
            raise WouldWait from exc
        except sa.exc.OperationalError as exc:
            if _busy(exc):
                raise WouldWait from exc
            raise

    async def close(self) -> None:
        self._engine.dispose()


class _Answers:
    """Answers of `cacheable` units, kept while SQLite says the database is unchanged.

    `PRAGMA data_version` changes whenever another connection (of this process or any
    other) has committed a change; the reader's own connection never writes. The value
    is only comparable on one connection, so the answers also belong to that connection.
    The version is read before the unit runs: a commit in between leaves a newer answer
    under the older version, which the next read, seeing the new version, drops.
    """

    def __init__(self) -> None:
        self._connection: object = None
        self._version: object = None
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        connection = session.connection()
        version = connection.exec_driver_sql("PRAGMA data_version").scalar()
        driver = connection.connection.driver_connection
        if driver is not self._connection or version != self._version:
            self._kept.clear()
            self._connection, self._version = driver, version
        if key in self._kept:
            self._kept.move_to_end(key)
            kept: T = self._kept[key]
            return kept
        answer = compute()
        self._kept[key] = answer
        if len(self._kept) > KEPT_ANSWERS:
            self._kept.popitem(last=False)
        return answer


class PostgresLoopReads:
    def __init__(self, url: str) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        # Autocommit: one round trip per statement, no BEGIN and ROLLBACK around it (at
        # READ COMMITTED each statement sees its own snapshot inside a transaction too).
        # No ping before each checkout either: a read is safe to repeat, so a connection
        # that died in the pool costs one retry (`run`), not a round trip on every read.
        self._engine = create_async_engine(
            url,
            pool_size=PG_LOOP_POOL_SIZE,
            max_overflow=0,
            pool_timeout=PG_LOOP_POOL_WAIT_SECONDS,
            isolation_level="AUTOCOMMIT",
            connect_args=_PG_CONNECT_ARGS,
        )

    async def run(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        try:
            return await self._once(work, *args, **kwargs)
        except sa.exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        return await self._once(work, *args, **kwargs)  # on a new connection

    async def _once(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        from sqlalchemy.ext.asyncio import AsyncSession

        try:
            async with AsyncSession(self._engine) as session:
                return await session.run_sync(work, *args, **kwargs)
        except sa.exc.TimeoutError as exc:
            raise WouldWait from exc

    async def close(self) -> None:
        await self._engine.dispose()
