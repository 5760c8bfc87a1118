"""Benchmark: refresh + index of the real Fribb list, and batch lookups (not a test).

    .venv/bin/python scripts/bench_mappings.py [--runs 5] [--file PATH] [--no-postgres]

Serves the real ~33k-entry Fribb list (../shared/data/mappings/) from a local HTTP
server as FRIBBS_URL, then on SQLite — and on PostgreSQL when one answers at
ANITRAKT_TEST_PG_URL or 127.0.0.1:5432, in a throwaway database it creates and drops —
measures the median wall time of a forced refresh (download, validate, replace the
cache), of loading the index as a fresh process would, and of resolving 1,000
already-indexed AniList ids through the batch lookup, counting the upstream requests
and SQL statements the lookups made (both should be 0).

Then the resolver (`ChainResolver.resolve_many`) on the same 1,000 ids, which get a
synthetic Otaku entry with a Trakt id (the real Otaku database is not in the repo):
a dry run (steps 1–2: one mappings query, then the index), the first real run (which
saves 1,000 auto mappings in one transaction), and a repeat (everything from the
mappings table). Trakt and TMDB are wired to a transport that counts and refuses every
request: each line prints how many were attempted (should be 0) and the SQL statements.
Prints the peak RSS of the whole process. Targets (issue 4): refresh + index < 1.5 s,
< 150 MB, resolving 1,000 already-indexed ids < 50 ms with no upstream request.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from anitrakt.clients.tmdb import TMDBClient
from anitrakt.clients.trakt import TraktClient
from anitrakt.config import Settings
from anitrakt.domain.anilist import Media
from anitrakt.domain.mapping_source import SourceEntry
from anitrakt.domain.values import IdMapping, SourceName
from anitrakt.store import migrate
from anitrakt.store.models import Mapping
from anitrakt.store.source_entries import replace_source_entries
from anitrakt.store.tokens import SqlTokenStore
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.index import SharedSourceIndex
from anitrakt.usecases.sources.refresh import refresh_source

DEFAULT_FILE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "mappings"
    / "fribb-anime-list-full-derived.json"
)
DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOOKUP_IDS = 1000
LOOKUP_REPEATS = 20
TARGET_REFRESH_SECONDS = 1.5
TARGET_RSS_MB = 150
TARGET_LOOKUP_MS = 50
# Synthetic Trakt ids for the benchmark's Otaku entries: far from any real id.
SYNTHETIC_TRAKT_BASE = 900_000_000


class _CountingHandler(SimpleHTTPRequestHandler):
    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    handler = partial(_CountingHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def throwaway_postgres() -> Iterator[str | None]:
    """A fresh database on the test server, dropped afterwards; None when none answers."""
    admin = os.environ.get("ANITRAKT_TEST_PG_URL") or DEFAULT_PG_ADMIN_URL
    name = f"anitrakt_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL skipped: {str(exc).strip().splitlines()[0]}")
        yield None
        return
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024 / 1024


def bench(engine_name: str, database_url: str, fribbs_url: str, runs: int) -> dict[str, float]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        fribbs_url=fribbs_url,
    )
    runtime = Runtime.open(settings)
    try:
        migrate.upgrade(runtime.engine)
        refresh_times, load_times = [], []
        count = 0
        for _ in range(runs):
            started = time.perf_counter()
            count = refresh_source(runtime, SourceName.FRIBB, force=True).meta.count
            refreshed = time.perf_counter()
            SharedSourceIndex(runtime.sessions).current()  # what a fresh process loads
            loaded = time.perf_counter()
            refresh_times.append(refreshed - started)
            load_times.append(loaded - refreshed)

        index = runtime.source_index
        known = list(index.current().entries(SourceName.FRIBB))
        ids = random.Random(4).sample(known, LOOKUP_IDS)
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(runtime.engine, "before_cursor_execute", listener)
        requests_before = _CountingHandler.requests
        lookup_times = []
        for _ in range(LOOKUP_REPEATS):
            started = time.perf_counter()
            hits = index.lookup_many(ids)
            lookup_times.append(time.perf_counter() - started)
        event.remove(runtime.engine, "before_cursor_execute", listener)
        assert len(hits) == LOOKUP_IDS
        resolver_lines = bench_resolver(runtime, ids)
        result = {
            "entries": count,
            "refresh": statistics.median(refresh_times),
            "load": statistics.median(load_times),
            "lookup_ms": statistics.median(lookup_times) * 1000,
            "lookup_requests": _CountingHandler.requests - requests_before,
            "lookup_statements": len(statements),
        }
    finally:
        runtime.close()
    total = result["refresh"] + result["load"]
    print(
        f"{engine_name:<10} {result['entries']:>7,} entries | refresh {result['refresh']:.3f} s"
        f" + index load {result['load']:.3f} s = {total:.3f} s"
        f" (target < {TARGET_REFRESH_SECONDS} s) | {LOOKUP_IDS:,} lookups"
        f" {result['lookup_ms']:.2f} ms (target < {TARGET_LOOKUP_MS} ms),"
        f" {result['lookup_requests']} upstream requests, {result['lookup_statements']} SQL"
        f" | peak RSS so far {peak_rss_mb():.0f} MB"
    )
    for line in resolver_lines:
        print(f"{'':<10} {line}")
    return result


class _Refusing(httpx.BaseTransport):
    """Counts every request an upstream client attempts, and refuses it."""

    def __init__(self) -> None:
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return httpx.Response(503, request=request)


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def bench_resolver(runtime: Runtime, ids: list[int]) -> list[str]:
    """Time `resolve_many` over `ids` (each given an Otaku Trakt id); one line per phase."""
    otaku = [SourceEntry(i, trakt_id=SYNTHETIC_TRAKT_BASE + n) for n, i in enumerate(ids)]
    with runtime.sessions.begin() as session:
        replace_source_entries(session, SourceName.OTAKU, otaku)
        session.execute(sa.delete(Mapping))
    runtime.source_index.invalidate()
    runtime.source_index.current()  # loaded once per process, as in `serve`
    refusing = _Refusing()
    settings = runtime.settings.model_copy(
        update={"trakt_client_id": "bench", "tmdb_api_key": SecretStr("bench-tmdb-key")}
    )
    trakt = TraktClient.from_settings(settings, SqlTokenStore(runtime.sessions), transport=refusing)
    tmdb = TMDBClient.from_settings(settings, transport=refusing)
    resolver = runtime.resolver(trakt, tmdb)
    media = [Media(i, format="TV") for i in ids]
    lines = []

    def phase(label: str, *, save: bool, repeats: int, target: bool = True) -> None:
        before = refusing.requests
        times = []
        with _statements(runtime.engine) as statements:
            for _ in range(repeats):
                started = time.perf_counter()
                resolved = resolver.resolve_many(media, save=save)
                times.append(time.perf_counter() - started)
        assert all(isinstance(r, IdMapping) for r in resolved.values())
        goal = f" (target < {TARGET_LOOKUP_MS} ms)" if target else ""
        lines.append(
            f"resolve_many({LOOKUP_IDS:,}) {label}: {statistics.median(times) * 1000:.2f} ms"
            f"{goal}, {refusing.requests - before} upstream requests,"
            f" {len(statements) / repeats:g} SQL statements per call"
        )

    try:
        phase("dry run, Otaku hits", save=False, repeats=LOOKUP_REPEATS)
        phase("first run, saves 1,000 auto mappings", save=True, repeats=1, target=False)
        phase("already mapped", save=True, repeats=LOOKUP_REPEATS)
    finally:
        trakt.close()
        tmdb.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if not args.file.is_file():
        sys.exit(f"no Fribb list at {args.file} (../shared/data is absent?); pass --file")
    print(f"{args.file.name}: {args.file.stat().st_size / 1e6:.1f} MB, median of {args.runs} runs")
    with serve_folder(args.file.parent) as base_url:
        url = f"{base_url}/{args.file.name}"
        with tempfile.TemporaryDirectory() as folder:
            bench("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", url, args.runs)
        if not args.no_postgres:
            with throwaway_postgres() as pg_url:
                if pg_url is not None:
                    bench("PostgreSQL", pg_url, url, args.runs)
    print(f"peak RSS of the process: {peak_rss_mb():.0f} MB (target < {TARGET_RSS_MB} MB)")


if __name__ == "__main__":
    main()
