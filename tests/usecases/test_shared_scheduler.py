"""Two `serve` schedulers on one PostgreSQL database: each due sync runs exactly once.

A hosted set-up runs several stateless app processes against one database
(docs/performance.md, "How it scales"); each has the built-in scheduler. The peers are
real processes (`scheduler_peer.py`) running the real `Scheduler` loop, gate and leases;
the test moves their timers one look at a time and holds a run open while the other
looks, so the interleaving that would start a second run is played out on purpose, not
waited for.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine
from anitrakt.store.models import LogRow
from anitrakt.usecases.scheduler import Tick

pytestmark = pytest.mark.postgres

PEER = Path(__file__).with_name("scheduler_peer.py")
RAN_LINE = "automated sync ran in process"
# Only a guard against a hung peer failing the test forever; nothing waits for it.
HUNG_PEER_SECONDS = 120.0


class Peer:
    """One peer process: send it a command, read its next line."""

    def __init__(self, url: str, data_dir: Path) -> None:
        data_dir.mkdir()
        self.process = subprocess.Popen(
            [sys.executable, str(PEER), url, str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.strip())
        self._lines.put("<exited>")

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def says(self) -> str:
        return self._lines.get(timeout=HUNG_PEER_SECONDS)

    def close(self) -> None:
        if self.process.poll() is None:
            self.send("stop")
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(HUNG_PEER_SECONDS)
        self._reader.join(HUNG_PEER_SECONDS)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def database(postgres_server: object) -> str:
    url: str = postgres_server.create_database()  # type: ignore[attr-defined]
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def peers(database: str, tmp_path: Path) -> Iterator[tuple[Peer, Peer]]:
    first, second = Peer(database, tmp_path / "a"), Peer(database, tmp_path / "b")
    try:
        assert (first.says(), second.says()) == ("ready", "ready")
        yield first, second
    finally:
        first.close()
        second.close()


def runs_recorded(url: str) -> list[str]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            query = sa.select(LogRow.message).where(LogRow.message.startswith(RAN_LINE))
            return list(conn.scalars(query))
    finally:
        engine.dispose()


def test_two_schedulers_run_one_due_sync_once(peers: tuple[Peer, Peer], database: str) -> None:
    first, second = peers
    first.send("tick")
    assert first.says() == "started"  # due; its run is under way and held there
    # The other process looks while that run is under way: it must not start a second.
    second.send("tick")
    assert second.says() == Tick.BUSY.value
    first.send("go")
    assert first.says() == Tick.RAN.value
    # Once the run has finished, the sync is no longer due for either of them.
    second.send("tick")
    assert second.says() == Tick.NOT_DUE.value
    first.send("tick")
    assert first.says() == Tick.NOT_DUE.value
    assert runs_recorded(database) == [f"{RAN_LINE} {first.process.pid}"]


def test_a_look_that_found_the_sync_due_cannot_run_it_again_later(
    peers: tuple[Peer, Peer], database: str
) -> None:
    """The second looks first and is held; the first's look meanwhile finds it busy,
    and when the first looks again after the run, it is not due: still one run."""
    first, second = peers
    second.send("tick")
    assert second.says() == "started"
    first.send("tick")
    assert first.says() == Tick.BUSY.value
    second.send("go")
    assert second.says() == Tick.RAN.value
    first.send("tick")
    assert first.says() == Tick.NOT_DUE.value
    assert runs_recorded(database) == [f"{RAN_LINE} {second.process.pid}"]
