"""`anitrakt serve` stops cleanly on SIGTERM, and a sync it is running stops at a batch.

The server runs as a real subprocess (as in a container); the fakes are real local
servers in this process, so the test can hold Trakt's answer to the first history post
until the signal has been sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store.progress import list_progress
from anitrakt.usecases.sync.engine import BATCH_SIZE
from fakes.server import free_port
from sync_world import World
from waiting import HANG_GUARD, answers, wait_until

# Deadlines for an external process on a busy machine; reaching one is a failure.
START_DEADLINE = HANG_GUARD
STOP_DEADLINE = 30.0
HISTORY = "/sync/history"


def _environment(extra: dict[str, str], tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return {
        **keep,
        "ANITRAKT_DATA_DIR": str(tmp_path / "data"),
        "SYNC_INTERVAL_HOURS": "0",
        **extra,
    }


@contextmanager
def _serving(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "anitrakt", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            answers(f"{base}/readyz", status=200),
            what="the server ready",
            process=process,
            output=(tmp_path / "server.log").read_text,
        )
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(STOP_DEADLINE)


def _wait_for_exit(process: subprocess.Popen[bytes]) -> int:
    try:
        return process.wait(STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        raise AssertionError("serve ignored SIGTERM") from None


def test_sigterm_stops_an_idle_server(settings: Settings, tmp_path: Path) -> None:
    env = _environment({"DATABASE_URL": settings.sqlalchemy_url}, tmp_path)

    with _serving(env, tmp_path) as (process, _base):
        process.send_signal(signal.SIGTERM)
        code = _wait_for_exit(process)

    # uvicorn re-raises the signal once shut down (as PID 1 in a container: exit 0).
    assert code in (0, -signal.SIGTERM), (tmp_path / "server.log").read_text()
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text()


def test_sigterm_during_a_sync_ends_it_after_the_current_batch(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    world = World(sessions, settings, real_servers=True)
    expected = world.generated_library()  # 298 plays: three batches
    posted, signalled = threading.Event(), threading.Event()

    def hold_first_post(method: str, path: str, phase: str) -> None:
        if (method, path, phase) == ("POST", HISTORY, "after") and not posted.is_set():
            posted.set()  # Trakt has applied batch 1; its answer waits for the signal
            signalled.wait(STOP_DEADLINE)

    world.trakt_gate.hook = hold_first_post
    answers: list[httpx.Response] = []
    with world.serve() as fakes:
        env = _environment({"DATABASE_URL": settings.sqlalchemy_url, **fakes}, tmp_path)
        with _serving(env, tmp_path) as (process, base):
            sync = threading.Thread(
                target=lambda: answers.append(httpx.get(f"{base}/api/full-sync", timeout=120))
            )
            sync.start()
            assert posted.wait(START_DEADLINE), (tmp_path / "server.log").read_text()
            process.send_signal(signal.SIGTERM)
            signalled.set()
            sync.join(STOP_DEADLINE)
            code = _wait_for_exit(process)

    log = (tmp_path / "server.log").read_text()
    assert code in (0, -signal.SIGTERM), log
    assert len(answers) == 1, log
    assert answers[0].status_code == 503
    assert "shutting down" in answers[0].json()["error"]
    history = world.history()
    assert sum(history.values()) == BATCH_SIZE
    assert set(history) <= set(expected)
    with sessions() as session:
        recorded = sum(row.last_abs for row in list_progress(session, limit=500))
    assert recorded == BATCH_SIZE  # every confirmed play recorded, nothing more
