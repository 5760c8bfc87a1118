"""Benchmark: sequential latency of the read API routes against `anitrakt serve` (not a test).

    .venv/bin/python scripts/bench_api.py [--requests 400] [--postgres] [--json]
                                          [--py-spy OUT.svg]

Seeds a throwaway database (SQLite in a temporary folder, or with --postgres a database
it creates and drops at ANITRAKT_TEST_PG_URL / 127.0.0.1:5432) with 100,000 `logs` rows
and 10,000 `sync_progress` rows, starts `anitrakt serve` on it (no token, no scheduler),
warms each route up, then asks each read route `--requests` times one after the other
over one keep-alive connection and prints p50 / p95 per route, p50 as a multiple of
`/api/health`'s, and the server's CPU time per request (from /proc: the shared
machine's noise moves it far less than wall time). Target (issue 18): every read route
within 2x health's p50. `/api/logs (db changed)` is asked with a log row committed
before each request (untimed), so the server cannot answer from the page it last read.

`--py-spy OUT` attaches py-spy (install it into the venv: `pip install py-spy`; it is
not a project dependency) to the server after the warm-up and writes its profile of the
measured requests to OUT (`--py-spy-format`, default speedscope; `raw` gives collapsed
stacks, one line per distinct stack with its sample count).
`scripts/perf_report.py` uses `seed_api_rows` and `serving` for its wrk load.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ADMIN_URL = os.environ.get(
    "ANITRAKT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
LOG_ROWS = 100_000
PROGRESS_ROWS = 10_000
READ_ROUTES = (
    "/api/health",
    "/api/status",
    "/api/logs",
    "/api/logs?limit=50",
    "/api/logs?level=error",
    "/api/progress?limit=50",
    "/api/progress?anilistId=4242",
)
WARM_UP = 30
ROUNDS = 4
# Also measured with a log row committed (by the benchmark, untimed) before each request:
# the SQLite server then cannot answer from the page it read last (store/loop_reads.py).
CHANGING_ROUTES = ("/api/logs",)
CHANGED = " (db changed)"


def seed_api_rows(url: str) -> None:
    """Migrate `url` and fill it with LOG_ROWS log rows and PROGRESS_ROWS progress rows."""
    from anitrakt.store import migrate
    from anitrakt.store.db import create_db_engine
    from anitrakt.store.models import LogRow, SyncProgress

    engine = create_db_engine(url)
    migrate.upgrade(engine)
    start = datetime.now(UTC) - timedelta(days=20)
    levels = ("info", "info", "info", "warn", "error")
    with engine.begin() as conn:
        conn.execute(
            sa.insert(LogRow),
            [
                {
                    "message": f"event {i}: something happened to AniList entry {i % 5000}",
                    "level": levels[i % 5],
                    "created_at": start + timedelta(seconds=i * 15),
                }
                for i in range(LOG_ROWS)
            ],
        )
        conn.execute(
            sa.insert(SyncProgress),
            [
                {
                    "anilist_id": i + 1,
                    "last_abs": i % 500,
                    "updated_at": start + timedelta(minutes=i),
                }
                for i in range(PROGRESS_ROWS)
            ],
        )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:PORT
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(url: str) -> Iterator[Served]:
    """`anitrakt serve` on database `url` (no token, no scheduler), until the block ends."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ANITRAKT_DATA_DIR": data,
            "SYNC_INTERVAL_HOURS": "0",
        }
        env.pop("ANITRAKT_API_TOKEN", None)
        command = [PY, "-m", "anitrakt", "serve", "--port", str(port)]
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=data
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("anitrakt serve did not start")
                time.sleep(0.2)
            yield Served(base, server.pid)
        finally:
            server.terminate()
            server.wait(10)


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    """A fresh, empty database URL: a temporary SQLite file or a throwaway PostgreSQL one."""
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'api.db'}"
        return
    libpq = make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"anitrakt_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@contextmanager
def profiled(served: Served, out: str | None, fmt: str) -> Iterator[None]:
    """py-spy attached to the server for the block (nothing when `out` is None)."""
    if out is None:
        yield
        return
    spy = Path(PY).with_name("py-spy")
    # Without --idle: threads waiting for work are not cost.
    command = [str(spy), "record", "--pid", str(served.pid), "--nonblocking", "--threads"]
    command += ["--rate", "250", "--format", fmt, "--output", out]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # let it attach
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)  # it writes the profile, then exits
        recorder.wait(60)


@contextmanager
def log_writer(url: str) -> Iterator[Callable[[], None]]:
    """A function that commits one more log row to database `url` (another connection)."""
    engine = sa.create_engine(url)
    insert = sa.text("INSERT INTO logs (message, level) VALUES ('written by the bench', 'info')")

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(insert)

    try:
        yield write
    finally:
        engine.dispose()


def measure(
    served: Served,
    requests: int,
    profile: str | None = None,
    fmt: str = "raw",
    write: Callable[[], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Per read route, asked `requests` times one after the other: p50/p95 wall time (ms)
    and the server's CPU time per request (ms), which the shared machine's noise barely
    moves. In ROUNDS rounds, so a burst of noise hits every route alike. With `write`,
    CHANGING_ROUTES are asked again with `write()` called (untimed) before each request."""
    asked = [(route, False) for route in READ_ROUTES]
    if write is not None:
        asked += [(route, True) for route in CHANGING_ROUTES]
    names = [route + CHANGED if changing else route for route, changing in asked]
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, float] = dict.fromkeys(names, 0.0)
    with httpx.Client(base_url=served.base, timeout=10) as client:
        for route in READ_ROUTES:
            for _ in range(WARM_UP):
                client.get(route).raise_for_status()
        with profiled(served, profile, fmt):
            for _ in range(ROUNDS):
                for (route, changing), name in zip(asked, names, strict=True):
                    cpu = served.cpu_seconds()
                    for _ in range(max(1, requests // ROUNDS)):
                        if changing and write is not None:
                            write()
                        began = time.perf_counter()
                        client.get(route).raise_for_status()
                        walls[name].append((time.perf_counter() - began) * 1000)
                    cpus[name] += served.cpu_seconds() - cpu
    return {
        route: {
            "p50_ms": statistics.median(values),
            "p95_ms": percentile(values, 0.95),
            "cpu_ms": cpus[route] * 1000 / len(values),
        }
        for route, values in walls.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per route")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--json", action="store_true", help="one JSON line at the end")
    parser.add_argument("--py-spy", metavar="OUT", help="profile the server with py-spy")
    parser.add_argument("--py-spy-format", default="speedscope")
    args = parser.parse_args()
    engine = "PostgreSQL" if args.postgres else "SQLite"
    with database(args.postgres) as url:
        seed_api_rows(url)
        with serving(url) as served, log_writer(url) as write:
            figures = measure(served, args.requests, args.py_spy, args.py_spy_format, write)
    health = figures["/api/health"]
    print(f"{engine}, {LOG_ROWS:,} log rows, {PROGRESS_ROWS:,} progress rows, ", end="")
    print(f"{args.requests} sequential requests per route (target: p50 within 2x health)")
    print(
        f"  {'route':32} {'p50 ms':>7} {'p95 ms':>7} {'p50/health':>10} {'server CPU ms':>13} "
        f"{'CPU/health':>10}"
    )
    for route, f in figures.items():
        print(
            f"  {route:32} {f['p50_ms']:7.2f} {f['p95_ms']:7.2f} "
            f"{f['p50_ms'] / health['p50_ms']:9.2f}x {f['cpu_ms']:13.2f} "
            f"{f['cpu_ms'] / health['cpu_ms']:9.2f}x"
        )
    if args.json:
        print(json.dumps({"database": engine, "routes": figures}))


if __name__ == "__main__":
    main()
