"""Fault injection: crashes, upstream storms, database faults and concurrent runs.

Every test ends by comparing the fake Trakt's play history with the exact history the
library should produce: 0 duplicate plays, 0 missing. The crash matrix runs the real
CLI (`anitrakt sync full`) as a subprocess against the fakes served on real local
sockets and SIGKILLs it at chosen points; the storms run in-process on a ManualClock
(no real sleeping). The 40 crash cases spend most of their time waiting on Trakt's write
pacing, so `make test` spreads the suite over several pytest-xdist workers.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.trakt import TokenSet
from anitrakt.store.models import SyncProgress
from anitrakt.store.progress import get_progress_many
from anitrakt.store.system_config import get_config
from anitrakt.store.tokens import save_tokens
from sync_world import World
from waiting import HANG_GUARD

HISTORY = "/sync/history"
SEASONS = "/shows/*/seasons"
WAIT = HANG_GUARD  # only a hung step fails by it (tests/waiting.py)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --------------------------------------------------------------------------- kill points


@dataclass
class Stop:
    """Block the `nth` request matching (method, path glob, phase) until released."""

    method: str
    path: str
    phase: str
    nth: int = 1
    seen: int = 0
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, method: str, path: str, phase: str) -> bool:
        """Block at the stop; a request stopped "before" is then dropped (see `Gate`)."""
        if method != self.method or phase != self.phase or not fnmatchcase(path, self.path):
            return False
        with self.lock:
            self.seen += 1
            hit = self.seen == self.nth
        if hit:
            self.reached.set()
            self.release.wait(WAIT)
        return hit and phase == "before"


@dataclass(frozen=True)
class KillPoint:
    """Where to SIGKILL a run: at a gated request, or blocked in a database write."""

    name: str
    host: str  # "trakt" or "anilist"
    method: str
    path: str
    phase: str
    nth: int = 1
    # "progress": after the gated response is released, hold a write lock on the
    # progress table so the run blocks in its progress write, and kill it there.
    db_lock: bool = False
    # The access token is already expired when the run starts (a refresh is needed).
    expired: bool = False
    # Expire the access token when the first history post has been answered.
    expire_mid_run: bool = False
    # The second post times out after Trakt applied it (the run re-reads the watched state).
    unclear_second_post: bool = False
    # After the kill, the re-run is killed once more at its first post (after apply).
    twice: bool = False


def _post(phase: str, nth: int, **kw: Any) -> KillPoint:
    name = f"post{nth}-{'progress' if kw.get('db_lock') else phase}"
    return KillPoint(name, "trakt", "POST", HISTORY, phase, nth, **kw)


KILL_POINTS = [
    KillPoint("anilist-first-request", "anilist", "POST", "/*", "before"),
    KillPoint("anilist-third-page", "anilist", "POST", "/*", "after", nth=3),
    KillPoint("trakt-watched-read", "trakt", "GET", "/sync/watched/shows", "before"),
    KillPoint("episode-list-1", "trakt", "GET", SEASONS, "before"),
    KillPoint("episode-list-80", "trakt", "GET", SEASONS, "after", nth=80),
    KillPoint("watched-movies-read", "trakt", "GET", "/sync/watched/movies", "after"),
    _post("before", 1),
    _post("after", 1),
    _post("after", 1, db_lock=True),
    _post("before", 2),
    _post("after", 2),
    _post("after", 2, db_lock=True),
    _post("before", 3),
    _post("after", 3),
    _post("after", 3, db_lock=True),
    KillPoint("refresh-before", "trakt", "POST", "/oauth/token", "before", expired=True),
    KillPoint("refresh-after", "trakt", "POST", "/oauth/token", "after", expired=True),
    KillPoint("refresh-mid-run", "trakt", "POST", "/oauth/token", "before", expire_mid_run=True),
    # Killed after Trakt rotated the pair mid-run but before it was stored (see the test).
    KillPoint(
        "refresh-mid-run-after", "trakt", "POST", "/oauth/token", "after", expire_mid_run=True
    ),
    KillPoint(
        "reread-after-unclear-post",
        "trakt",
        "GET",
        "/sync/watched/shows",
        "before",
        nth=2,
        unclear_second_post=True,
    ),
    KillPoint("twice-post2-then-post1", "trakt", "POST", HISTORY, "after", nth=2, twice=True),
]
assert len(KILL_POINTS) == 21


def _crash_params() -> list[Any]:
    params = []
    for point in KILL_POINTS:
        params.append(pytest.param("sqlite", point, id=f"sqlite-{point.name}"))
        params.append(
            pytest.param("postgresql", point, id=f"pg-{point.name}", marks=pytest.mark.postgres)
        )
    return params


class DbLock:
    """Hold a write lock on sync_progress from another connection (SQLite: the whole db)."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._conn: Any = None

    def acquire(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            self._conn = sqlite3.connect(str(self.url.database), isolation_level=None)
            self._conn.execute("BEGIN IMMEDIATE")
        else:
            self._conn = psycopg.connect(_libpq(self.url.render_as_string(False)))
            self._conn.execute("LOCK TABLE sync_progress IN EXCLUSIVE MODE")

    def wait_for_waiter(self) -> None:
        """Until the run is blocked on the lock (PostgreSQL shows it; SQLite: a pause)."""
        if self.url.get_backend_name() == "sqlite":
            time.sleep(1.0)  # well inside the 5 s busy timeout the run waits out
            return
        deadline = time.monotonic() + WAIT
        with psycopg.connect(_libpq(self.url.render_as_string(False)), autocommit=True) as watcher:
            while time.monotonic() < deadline:
                row = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND wait_event_type = 'Lock'",
                    (self.url.database,),
                ).fetchone()
                if row and row[0] > 0:
                    return
                time.sleep(0.05)
        raise AssertionError("the run never blocked on the progress table")

    def backend_pid(self) -> int:
        """The PostgreSQL backend holding the lock (to spare it when killing others)."""
        return int(self._conn.info.backend_pid)

    def release(self) -> None:
        if self._conn is not None:
            self._conn.rollback()
            self._conn.close()
            self._conn = None


@pytest.fixture
def world_on(tmp_path: Path) -> Iterator[Callable[..., World]]:
    """Worlds on their own freshly migrated database at a URL; engines disposed after."""
    from anitrakt.store import migrate
    from anitrakt.store.db import create_db_engine, create_session_factory

    engines: list[Engine] = []

    def make(url: str, *, real_servers: bool = False) -> World:
        engine = create_db_engine(url)  # connections read SQLITE_BUSY_TIMEOUT_MS now
        engines.append(engine)
        migrate.upgrade(engine)
        settings = Settings(_env_file=None, database_url=url, anitrakt_data_dir=tmp_path)  # type: ignore[call-arg]
        return World(create_session_factory(engine), settings, real_servers=real_servers)

    yield make
    for engine in engines:
        engine.dispose()


def _cli_env(env: dict[str, str], url: str, data_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return {
        **keep,
        **env,
        "DATABASE_URL": url,
        "ANITRAKT_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
    }


def _start(env: dict[str, str], cwd: Path, tag: str) -> subprocess.Popen[bytes]:
    with (cwd / f"{tag}.out").open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "anitrakt", "sync", "full", "--json"],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _output(cwd: Path, tag: str) -> str:
    return (cwd / f"{tag}.out").read_text(errors="replace")


def _kill_at(world: World, point: KillPoint, proc: subprocess.Popen[bytes], url: str) -> None:
    """Wait until `proc` reaches `point`, SIGKILL it there, then let the fakes go on."""
    gate = world.trakt_gate if point.host == "trakt" else world.anilist_gate
    stop = Stop(point.method, point.path, point.phase, point.nth)
    hooks: list[Callable[[str, str, str], None]] = [stop]
    armed = {"done": False}

    def after_first_post(method: str, path: str, phase: str) -> bool:
        if (method, path, phase) != ("POST", HISTORY, "after") or armed["done"]:
            return False
        armed["done"] = True
        if point.expire_mid_run:
            for token in list(world.trakt.valid_access_tokens):
                world.trakt.expire_access_token(token)
        if point.unclear_second_post:
            world.trakt.fail_next(1, timeout=True, after_apply=True, path=HISTORY, method="POST")
        return False

    hooks.insert(0, after_first_post)

    def hook(method: str, path: str, phase: str) -> bool:
        drop = False
        for each in hooks:  # every hook runs; any of them may drop the request
            drop = each(method, path, phase) or drop
        return drop

    world.trakt_gate.hook = hook if gate is world.trakt_gate else after_first_post
    gate.hook = hook
    lock = DbLock(url) if point.db_lock else None
    try:
        if not stop.reached.wait(WAIT):
            proc.kill()
            proc.wait()
            raise AssertionError(f"the run never reached {point.name}")
        if lock is not None:
            lock.acquire()
            stop.release.set()
            lock.wait_for_waiter()
        proc.send_signal(signal.SIGKILL)
        proc.wait(WAIT)
    finally:
        stop.release.set()
        world.trakt_gate.hook = world.anilist_gate.hook = None
        if lock is not None:
            lock.release()


def _run_to_completion(
    env: dict[str, str], cwd: Path, tag: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anitrakt", "sync", "full", "--json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("kind", "point"), _crash_params())
def test_sigkill_anywhere_then_rerun_gives_the_exact_history(
    request: pytest.FixtureRequest,
    kind: str,
    point: KillPoint,
    world_on: Callable[..., World],
    tmp_path: Path,
) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    world = world_on(url, real_servers=True)
    sessions = world.sessions
    expected = world.generated_library()
    assert sum(expected.values()) == 298  # three posts of BATCH_SIZE
    if point.expired:
        world.trakt.expire_access_token(world.tokens.access_token)
    if point.unclear_second_post:
        world.trakt.timeout_sleep = 0.2

    with world.serve() as served:
        env = _cli_env(served, url, tmp_path)
        _kill_at(world, point, _start(env, tmp_path, "killed"), url)
        if point.twice:
            _kill_at(
                world,
                KillPoint("again", "trakt", "POST", HISTORY, "after"),
                _start(env, tmp_path, "killed-again"),
                url,
            )
        # Nothing posted twice so far, whatever was cut off.
        assert all(count == 1 for count in world.history().values()), point.name
        rerun = _run_to_completion(env, tmp_path, "rerun")
        if point.name in ("refresh-after", "refresh-mid-run-after"):
            # Trakt rotated the refresh token and the killed run never stored the new
            # one: the re-run cannot refresh and must say so; reconnecting fixes it.
            assert rerun.returncode == 1
            assert "re-authorize Trakt" in rerun.stdout + rerun.stderr
            assert all(count == 1 for count in world.history().values()), point.name
            access, refresh = world.trakt.issue_tokens()
            with sessions.begin() as session:
                save_tokens(session, TokenSet(access, refresh, expires_at=time.time() + 86_400))
            rerun = _run_to_completion(env, tmp_path, "rerun-after-reconnect")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert world.history() == expected, point.name
    with sessions() as session:
        stored = sa.select(SyncProgress.anilist_id, SyncProgress.last_abs)
        assert len(session.execute(stored).all()) == 190
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) == max(
            a.created_at for a in world.anilist.activities
        )


# ------------------------------------------------------------------ upstream storms


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings)


@pytest.fixture
def library(world: World) -> Counter[Any]:
    """65 entries, 153 plays: two batches, so a storm can land between them."""
    return world.generated_library(singles=50, sequel_pairs=5, movies=3)


def _assert_never_duplicated(world: World) -> None:
    assert all(count == 1 for count in world.history().values())


STORMS: dict[str, Callable[[World], None]] = {
    "429-burst-with-retry-after": lambda w: w.trakt.fail_next(4, status=429, retry_after="3"),
    "429-burst-on-posts": lambda w: w.trakt.fail_next(
        3, status=429, retry_after="1", path=HISTORY, method="POST"
    ),
    "429-without-retry-after": lambda w: w.trakt.fail_next(4, status=429),
    "429-html-page": lambda w: w.trakt.fail_next(4, status=429, html=True),
    "500-run-on-reads": lambda w: w.trakt.fail_next(4, status=500, method="GET"),
    "502-run-on-episode-lists": lambda w: w.trakt.fail_next(4, status=502, path=SEASONS),
    "503-on-a-post": lambda w: w.trakt.fail_next(1, status=503, path=HISTORY, method="POST"),
    "520-on-a-post-after-apply": lambda w: w.trakt.fail_next(
        1, status=520, after_apply=True, path=HISTORY, method="POST"
    ),
    "timeout-after-trakt-accepted": lambda w: w.trakt.fail_next(
        2, timeout=True, after_apply=True, path=HISTORY, method="POST"
    ),
    # Each unclear post is followed by a re-read, which finds it applied: no resend.
    "every-post-times-out-after-apply": lambda w: w.trakt.fail_next(
        50, timeout=True, after_apply=True, path=HISTORY, method="POST"
    ),
    "timeouts-on-reads": lambda w: w.trakt.fail_next(3, timeout=True, method="GET"),
    "expired-token": lambda w: w.trakt.expire_access_token(w.tokens.access_token),
    "anilist-rate-limited": lambda w: w.anilist.fail_next("rate_limited", times=2, retry_after=5),
}


@pytest.mark.parametrize("storm", list(STORMS))
def test_a_storm_the_client_rides_out_gives_the_exact_history(
    storm: str, world: World, library: Counter[Any]
) -> None:
    STORMS[storm](world)

    report = _run_full(world)

    assert report.error is None, report.error
    assert world.history() == library


HARD_STORMS: dict[str, Callable[[World], None]] = {
    "503-forever": lambda w: w.trakt.fail_next(50, status=503),
    "html-429-forever": lambda w: w.trakt.fail_next(50, status=429, html=True),
    "retry-after-an-hour": lambda w: w.trakt.fail_next(1, status=429, retry_after="3600"),
    "every-post-times-out-unapplied": lambda w: w.trakt.fail_next(
        50, timeout=True, path=HISTORY, method="POST"
    ),
    "520-on-every-post": lambda w: w.trakt.fail_next(50, status=520, path=HISTORY, method="POST"),
    "rejected-refresh": lambda w: w.trakt.revoke_tokens(w.tokens.access_token),
}


@pytest.mark.parametrize("storm", list(HARD_STORMS))
def test_a_storm_that_does_not_pass_is_a_clear_resumable_error(
    storm: str, world: World, library: Counter[Any]
) -> None:
    HARD_STORMS[storm](world)

    report = _run_full(world)

    assert report.error, "the run must say why it stopped"
    _assert_never_duplicated(world)
    with world.sessions() as session:
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None
    world.trakt.clear_faults()
    if storm == "rejected-refresh":
        assert "Trakt" in report.error
        access, refresh = world.trakt.issue_tokens()
        with world.sessions.begin() as session:
            save_tokens(session, TokenSet(access, refresh, expires_at=world.clock.time() + 86_400))

    again = _run_full(world)

    assert again.error is None, again.error
    assert world.history() == library


def _run_full(world: World, deps: Any = None) -> Any:
    from anitrakt.usecases.sync.modes import run_full

    return run_full(deps or world.deps())


# ------------------------------------------------------------------ database faults


def _break_after_post(world: World, nth: int, fault: Callable[[], None]) -> Any:
    """Deps whose `nth` history post reaches Trakt, then `fault()` hits the database."""
    deps = world.deps()
    real_add = deps.trakt.add_to_history
    calls = {"n": 0}

    def add_then_fault(items: Any) -> Any:
        calls["n"] += 1
        result = real_add(items)
        if calls["n"] == nth:
            fault()
        return result

    deps.trakt.add_to_history = add_then_fault  # type: ignore[method-assign]
    return deps


def _progress(world: World) -> dict[int, int]:
    with world.sessions() as session:
        return get_progress_many(session, {a.media_id for a in world.anilist.activities})


@pytest.mark.postgres
def test_postgres_connections_dropped_mid_run(
    postgres_server: Any, world_on: Callable[..., World]
) -> None:
    url = postgres_server.create_database()
    world = world_on(url)
    sessions = world.sessions
    library = world.generated_library(singles=50, sequel_pairs=5, movies=3)
    database = make_url(url).database

    def terminate_the_apps_connections() -> None:
        with psycopg.connect(_libpq(postgres_server.admin_url), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )

    # The first post reaches Trakt, then every connection of the app is killed.
    deps = _break_after_post(world, 1, terminate_the_apps_connections)
    report = _run_full(world, deps)

    posted = sum(world.history().values())
    _assert_never_duplicated(world)
    if report.error:
        # Stopped on the database error: only the first batch reached Trakt, and no
        # progress exists for anything Trakt did not confirm.
        assert report.error.startswith("database error:")
        assert posted == 100
        assert sum(_progress(world).values()) <= posted
        with sessions() as session:
            assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None
    else:
        # The pool's pre-ping replaced the dead connections before the next write:
        # the run went on and finished.
        assert world.history() == library

    again = _run_full(world)

    assert again.error is None
    assert world.history() == library


@pytest.mark.postgres
def test_postgres_connection_dropped_inside_a_write_stops_cleanly(
    postgres_server: Any, world_on: Callable[..., World]
) -> None:
    """The run's progress write is blocked on a lock when its backend is terminated."""
    url = postgres_server.create_database()
    world = world_on(url)
    library = world.generated_library(singles=50, sequel_pairs=5, movies=3)
    lock = DbLock(url)
    killer: list[threading.Thread] = []

    def kill_the_writer_while_it_waits() -> None:
        lock.wait_for_waiter()
        spared = lock.backend_pid()
        with psycopg.connect(_libpq(postgres_server.admin_url), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid NOT IN (pg_backend_pid(), %s)",
                (make_url(url).database, spared),
            )

    def block_then_kill() -> None:  # runs right after post 1 reached Trakt
        lock.acquire()
        killer.append(threading.Thread(target=kill_the_writer_while_it_waits))
        killer[0].start()

    try:
        report = _run_full(world, _break_after_post(world, 1, block_then_kill))
    finally:
        for thread in killer:
            thread.join(WAIT)
        lock.release()

    assert report.error is not None
    assert report.error.startswith("database error:")
    _assert_never_duplicated(world)
    assert sum(world.history().values()) == 100
    assert sum(_progress(world).values()) == 0  # its progress write never committed
    with world.sessions() as session:
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None

    again = _run_full(world)

    assert again.error is None
    assert world.history() == library  # post 1's plays were found on Trakt, not resent


def test_sqlite_locked_briefly_is_waited_out(world: World, library: Counter[Any]) -> None:
    url = make_url(world.settings.database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite only")
    path = str(url.database)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def lock_for_a_moment() -> None:
        holder.execute("BEGIN IMMEDIATE")
        threading.Timer(1.0, holder.rollback).start()

    deps = _break_after_post(world, 1, lock_for_a_moment)
    try:
        report = _run_full(world, deps)
    finally:
        time.sleep(1.1)
        holder.close()

    assert report.error is None
    assert world.history() == library


# ------------------------------------------------------------------ concurrency


def test_ten_simultaneous_sync_requests_run_one_at_a_time(
    sessions: sessionmaker[Session], settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from anitrakt.web.app import create_app

    world = World(sessions, settings, real_servers=True)
    library = world.generated_library(singles=50, sequel_pairs=5, movies=3)
    # The winner, whoever it is, waits at its first AniList request (every mode makes
    # one under the lease) until every other request has been answered.
    first_read = Stop("POST", "/*", "before")
    world.anilist_gate.hook = first_read
    with world.serve() as served:
        app = create_app(
            world.settings.model_copy(
                update={
                    "anilist_api_url": served["ANILIST_API_URL"],
                    "trakt_api_url": served["TRAKT_API_URL"],
                    "trakt_auth_url": served["TRAKT_AUTH_URL"],
                }
            )
        )
        env = _cli_env(served, engine.url.render_as_string(hide_password=False), tmp_path)
        api_calls = [
            ("POST", "/api/full-sync"),
            ("GET", "/api/full-sync"),
            ("POST", "/api/completed-sync"),
            ("GET", "/api/watching-sync"),
            ("POST", "/api/watching-sync"),
            ("POST", "/api/full-sync"),
        ]
        cli_modes = ["full", "completed", "watching", "full"]
        with TestClient(app) as client, ThreadPoolExecutor(max_workers=10) as pool:

            def api(call: tuple[str, str]) -> tuple[str, int, str]:
                response = client.request(call[0], call[1])
                return (f"api {call[0]} {call[1]}", response.status_code, response.text)

            def cli(mode: str) -> tuple[str, int, str]:
                done = subprocess.run(
                    [sys.executable, "-m", "anitrakt", "sync", mode],
                    env=env,
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                return (f"cli {mode}", done.returncode, done.stdout + done.stderr)

            futures = [pool.submit(api, c) for c in api_calls]
            futures += [pool.submit(cli, m) for m in cli_modes]
            # Nine are refused while the tenth waits at the gate; then it may go on.
            deadline = time.monotonic() + WAIT
            while sum(f.done() for f in futures) < 9 and time.monotonic() < deadline:
                time.sleep(0.05)
            finished = [f.result() for f in futures if f.done()]
            first_read.release.set()
            results = [f.result(timeout=WAIT) for f in futures]
        world.anilist_gate.hook = None

    assert len(finished) == 9
    assert first_read.seen >= 1
    refused = [r for r in finished if r[1] in (409, 1)]
    assert len(refused) == 9, finished
    assert all("already running" in text for _, _, text in refused), refused
    winners = [r for r in results if r not in finished]
    assert len(winners) == 1, winners
    assert winners[0][1] in (200, 0), winners
    _assert_never_duplicated(world)
    # Whichever mode won, a full sync afterwards completes the history exactly.
    assert _run_full(world).error is None
    assert world.history() == library


def test_sqlite_locked_past_the_busy_timeout_stops_cleanly_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, world_on: Callable[..., World]
) -> None:
    """Another writer holds SQLite past the busy timeout just after post 1 reached Trakt."""
    from anitrakt.store import db
    from anitrakt.store.logs import list_logs

    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)  # read at connect time
    path = tmp_path / "locked.db"
    world = world_on(f"sqlite:///{path}")
    sessions = world.sessions
    library = world.generated_library(singles=50, sequel_pairs=5, movies=3)
    holder = sqlite3.connect(str(path), isolation_level=None)
    deps = _break_after_post(world, 1, lambda: holder.execute("BEGIN IMMEDIATE"))
    try:
        report = _run_full(world, deps)
    finally:
        holder.rollback()
        holder.close()

    # The run stopped with a clear error instead of raising, posted nothing twice, and
    # recorded no progress it could not write.
    assert report.error == "database error: database is locked"
    _assert_never_duplicated(world)
    assert sum(world.history().values()) == 100
    assert sum(_progress(world).values()) <= 100
    with sessions() as session:
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None

    # The lease it could not give back does not block the next run in this process.
    again = _run_full(world)

    assert again.error is None, again.error
    assert world.history() == library
    with sessions() as session:
        messages = [row.message for row in list_logs(session, limit=50)]
    assert "full sync failed: database error: database is locked" in messages
