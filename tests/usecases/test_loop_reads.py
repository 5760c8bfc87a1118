"""The read API's reads on the event loop (`Runtime.read_from_loop`, store/loop_reads.py).

What a person would notice: a read answers without a hop to a worker thread; a read that
would have to wait (SQLite held exclusively by another program, PostgreSQL's loop
connection busy with a slow query) still answers, from a worker thread; a stalled
PostgreSQL read leaves the loop free for every other request; and a pooled connection
that died (PostgreSQL restarted) costs a retry, not an error.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store import loop_reads, migrate
from anitrakt.store.loop_reads import cacheable
from anitrakt.store.system_config import set_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.logs import logs_page
from seed import add_log

if TYPE_CHECKING:
    from conftest import PostgresServer

ADVISORY_KEY = 184_018


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    opened = Runtime.open(settings)
    yield opened
    opened.close()


def _on_loop(runtime: Runtime, body: object) -> object:
    """Run coroutine function `body()` on a new event loop with the loop reader open."""

    async def main() -> object:
        runtime.open_loop_reads()
        try:
            return await body()  # type: ignore[operator]
        finally:
            await runtime.close_loop_reads()

    return asyncio.run(main())


def _messages_and_thread(session: Session) -> tuple[list[str], int]:
    return [e.message for e in logs_page(session, limit=10)], threading.get_ident()


def test_a_read_runs_on_the_loop_thread_and_sees_committed_rows(
    runtime: Runtime, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        add_log(session, "first")
        add_log(session, "second")

    async def body() -> tuple[tuple[list[str], int], int]:
        return await runtime.read_from_loop(_messages_and_thread), threading.get_ident()

    (messages, reader), loop_thread = _on_loop(runtime, body)  # type: ignore[misc]

    assert sorted(messages) == ["first", "second"]
    assert reader == loop_thread


def test_without_a_loop_reader_the_read_goes_to_a_worker_thread(
    runtime: Runtime, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        add_log(session, "only")

    async def body() -> tuple[tuple[list[str], int], int]:
        return await runtime.read_from_loop(_messages_and_thread), threading.get_ident()

    (messages, reader), loop_thread = asyncio.run(body())

    assert messages == ["only"]
    assert reader != loop_thread


def test_a_unit_of_work_that_writes_is_refused_on_sqlite(tmp_path: Path) -> None:
    """PostgreSQL's loop reader reads in autocommit; SQLite's refuses writes, and every
    test runs on SQLite too, so a unit of work that writes is caught there."""
    runtime = _sqlite_runtime(tmp_path)

    async def body() -> None:
        await runtime.read_from_loop(lambda session: set_config(session, "loop:probe", 1))

    try:
        with pytest.raises(sa.exc.OperationalError, match="readonly"):
            _on_loop(runtime, body)
        with runtime.sessions() as session:
            assert session.scalar(sa.text("select count(*) from system_config")) == 0
    finally:
        runtime.close()


def test_sqlite_answers_a_cacheable_read_again_until_the_database_changes(
    tmp_path: Path,
) -> None:
    """An idle dashboard polling /api/logs reads no rows; any commit, by this process or
    another program, is seen by the very next read."""
    runtime = _sqlite_runtime(tmp_path)
    with runtime.sessions.begin() as session:
        add_log(session, "one")
    runs: list[str] = []

    @cacheable
    def messages(session: Session, *, limit: int) -> list[str]:
        runs.append("cacheable")
        return [e.message for e in logs_page(session, limit=limit)]

    def uncached(session: Session) -> list[str]:
        runs.append("uncached")
        return [e.message for e in logs_page(session, limit=10)]

    def elsewhere(message: str) -> None:  # another program writing to the same file
        path = runtime.engine.url.database
        assert path is not None
        with sqlite3.connect(path) as other:
            other.execute("INSERT INTO logs (message, level) VALUES (?, 'info')", (message,))
        other.close()

    async def body() -> list[list[str]]:
        seen = [await runtime.read_from_loop(messages, limit=10) for _ in range(3)]
        seen.append(await runtime.read_from_loop(messages, limit=5))  # other arguments
        with runtime.sessions.begin() as session:  # this process, another connection
            add_log(session, "two")
        seen.append(await runtime.read_from_loop(messages, limit=10))
        elsewhere("three")
        seen.append(await runtime.read_from_loop(messages, limit=10))
        seen.append(await runtime.read_from_loop(uncached))
        seen.append(await runtime.read_from_loop(uncached))
        return seen

    try:
        seen = _on_loop(runtime, body)
    finally:
        runtime.close()

    assert seen == [  # type: ignore[comparison-overlap]
        ["one"],
        ["one"],
        ["one"],
        ["one"],
        ["two", "one"],
        ["three", "two", "one"],
        ["three", "two", "one"],
        ["three", "two", "one"],
    ]
    assert runs == ["cacheable", "cacheable", "cacheable", "cacheable", "uncached", "uncached"]


def _sqlite_runtime(tmp_path: Path) -> Runtime:
    """A runtime on a SQLite file of this test's own, migrated."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'own.db'}",
        anitrakt_data_dir=tmp_path,
    )
    runtime = Runtime.open(settings)
    migrate.upgrade(runtime.engine)
    return runtime


def test_sqlite_held_exclusively_elsewhere_the_read_waits_in_a_worker_thread(
    tmp_path: Path,
) -> None:
    """Another program holding the file in exclusive locking mode makes a WAL reader
    wait; on the loop it would freeze every request, so the read moves to a thread."""
    runtime = _sqlite_runtime(tmp_path)
    with runtime.sessions.begin() as session:
        add_log(session, "kept")
    runtime.engine.dispose()  # no pooled connection of ours keeps the file shared
    path = runtime.engine.url.database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO logs (message, level) VALUES ('held', 'info')")
    holder.execute("COMMIT")  # exclusive mode keeps the lock after the commit
    in_worker, released = threading.Event(), threading.Event()
    loop_thread = threading.get_ident()

    def read(session: Session) -> list[str]:
        if threading.get_ident() != loop_thread:
            in_worker.set()
            released.wait()
        return [e.message for e in logs_page(session, limit=10)]

    async def body() -> list[str]:
        task = asyncio.create_task(runtime.read_from_loop(read))
        moved = asyncio.ensure_future(asyncio.to_thread(in_worker.wait))
        # The loop was free to run this; a read that failed instead ends the wait too.
        await asyncio.wait({task, moved}, return_when=asyncio.FIRST_COMPLETED)
        holder.close()
        released.set()
        in_worker.set()
        return await task

    try:
        messages = _on_loop(runtime, body)
    finally:
        released.set()
        holder.close()
        runtime.close()

    assert sorted(messages) == ["held", "kept"]  # type: ignore[arg-type]


@pytest.fixture
def postgres_runtime(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a PostgreSQL database of this test's own, migrated."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=postgres_server.create_database(),
        anitrakt_data_dir=tmp_path,
    )
    runtime = Runtime.open(settings)
    migrate.upgrade(runtime.engine)
    yield runtime
    runtime.close()


def _admin(engine: Engine) -> Engine:
    url = make_url(engine.url.render_as_string(hide_password=False))
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.mark.postgres
def test_postgres_a_stalled_read_leaves_the_loop_free_and_others_go_to_threads(
    postgres_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = postgres_runtime
    with runtime.sessions.begin() as session:
        add_log(session, "visible")
    # The queued read waits this long for the loop's one connection before it moves.
    monkeypatch.setattr(loop_reads, "PG_LOOP_POOL_WAIT_SECONDS", 0.05)
    admin = _admin(runtime.engine)
    loop_thread = threading.get_ident()

    started = threading.Event()

    def stalled(session: Session) -> str:
        session.connection()  # the loop's one connection is this read's from here on
        started.set()
        session.execute(sa.text("SELECT pg_advisory_lock_shared(:key)"), {"key": ADVISORY_KEY})
        session.execute(sa.text("SELECT pg_advisory_unlock_shared(:key)"), {"key": ADVISORY_KEY})
        return "stalled read done"

    async def body() -> tuple[str, tuple[list[str], int]]:
        with admin.connect() as holder:
            holder.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
            first = asyncio.create_task(runtime.read_from_loop(stalled))
            while not (started.is_set() or first.done()):  # the first read takes the connection
                await asyncio.sleep(0)
            # This coroutine runs while the first read waits on the lock: the loop is free.
            second = await runtime.read_from_loop(_messages_and_thread)
            assert not first.done()
            holder.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            return await first, second

    try:
        first, (messages, reader) = _on_loop(runtime, body)  # type: ignore[misc]
    finally:
        admin.dispose()

    assert first == "stalled read done"
    assert messages == ["visible"]
    assert reader != loop_thread  # the queued read went to a worker thread


@pytest.mark.postgres
def test_postgres_a_pooled_connection_that_died_costs_a_retry(postgres_runtime: Runtime) -> None:
    runtime = postgres_runtime
    admin = _admin(runtime.engine)

    def backend(session: Session) -> int:
        return int(session.scalar(sa.text("SELECT pg_backend_pid()")) or 0)

    async def body() -> tuple[int, int]:
        before = await runtime.read_from_loop(backend)
        with admin.connect() as conn:  # what a server restart does to every connection
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": before})
        return before, await runtime.read_from_loop(backend)

    try:
        before, after = _on_loop(runtime, body)  # type: ignore[misc]
    finally:
        admin.dispose()

    assert after not in (0, before)
