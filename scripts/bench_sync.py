"""Benchmark: a full sync of a generated library against the fakes (not a test).

    .venv/bin/python scripts/bench_sync.py [--entries 1000] [--episodes 15000] [--postgres]

Builds a library of ENTRIES AniList entries (a few long runners, sequels sharing a Trakt
show through season hints, movies, the rest one-season shows) totalling about EPISODES
watched episodes, each watched through one `watched episode` range activity. The fakes
run in-process and count requests; every client paces on one injected ManualClock, so
the *virtual* time is what the rate limits cost on a real account while the run itself
takes seconds. The fake Trakt enforces its three budgets (writes, user GETs, public GETs,
each in its own window), so a run faster than Trakt allows shows up as `throttled`
(429s answered; must be 0) instead of looking fast. Prints, per upstream, the requests
by endpoint; the floor the rate limits impose with the three Trakt budgets in parallel
(and the serial floor: every budget one after the other); the virtual and real time;
peak RSS. Then a second, no-op incremental run (target: 1 AniList request, 0 Trakt).
Targets (issue 5, issue 18): no per-episode requests; throttled 0; virtual time within
0.55 × the serial floor (1,000 entries ≤ 249 s); peak RSS at 1,000 entries no higher than
127 MB (the schema is migrated first by `anitrakt db upgrade` in a child process).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from anitrakt.clients.anilist import RATE_WINDOW_SECONDS, REQUESTS_PER_MINUTE  # noqa: E402
from anitrakt.clients.trakt_budgets import (  # noqa: E402
    GET_LIMIT,
    GET_PERIOD_SECONDS,
    PUBLIC_GET_LIMIT,
    USER_GET_RESERVE,
    WRITE_INTERVAL_SECONDS,
)
from anitrakt.config import Settings  # noqa: E402
from anitrakt.store.db import create_db_engine, create_session_factory  # noqa: E402
from anitrakt.usecases.sync.engine import BATCH_SIZE  # noqa: E402
from anitrakt.usecases.sync.modes import run_full  # noqa: E402
from fakes.trakt import FakeEpisode  # noqa: E402
from sync_world import World  # noqa: E402

ACTIVITIES_PER_PAGE = 50


def build_library(world: World, entries: int, episodes: int) -> tuple[int, int]:
    """Fill the fakes and mappings; returns (episode plays, distinct Trakt shows)."""
    per_entry = max(1, episodes // entries)
    plays = 0
    shows = 0
    trakt_id = 10_000
    anilist_id = 100_000
    # Two long runners numbered absolutely inside seasons.
    for _ in range(2):
        trakt_id += 1
        anilist_id += 1
        count = per_entry * 20
        world.trakt.add_show(
            trakt_id,
            f"Long runner {trakt_id}",
            seasons={
                1: [FakeEpisode(n, number_abs=n) for n in range(1, count // 2 + 1)],
                2: [FakeEpisode(n, number_abs=n) for n in range(count // 2 + 1, count + 1)],
            },
        )
        world.media(anilist_id, f"Long runner {anilist_id}", episodes=None)
        world.map(anilist_id, trakt_id)
        world.watched(anilist_id, f"1 - {count}")
        plays += count
        shows += 1
    remaining = entries - 2
    while remaining > 0:
        trakt_id += 1
        shows += 1
        if remaining >= 2 and trakt_id % 10 == 0:
            # A two-season show whose seasons are separate AniList entries (sequel hint).
            world.trakt.add_show(trakt_id, f"Show {trakt_id}", seasons={1: per_entry, 2: per_entry})
            for season in (1, 2):
                anilist_id += 1
                world.media(anilist_id, f"Show {trakt_id} S{season}", episodes=per_entry)
                world.map(anilist_id, trakt_id, season=season)
                world.watched(anilist_id, f"1 - {per_entry}")
                plays += per_entry
            remaining -= 2
        elif trakt_id % 25 == 0:
            anilist_id += 1
            world.trakt.add_movie(trakt_id, f"Movie {trakt_id}")
            world.media(anilist_id, f"Movie {trakt_id}", episodes=1, fmt="MOVIE")
            world.map(anilist_id, trakt_id, movie=True)
            world.watched(anilist_id, "1", status="completed")
            plays += 1
            shows -= 1
            remaining -= 1
        else:
            anilist_id += 1
            world.trakt.add_show(trakt_id, f"Show {trakt_id}", seasons={1: per_entry})
            world.media(anilist_id, f"Show {trakt_id}", episodes=per_entry)
            world.map(anilist_id, trakt_id)
            world.watched(anilist_id, f"1 - {per_entry}")
            plays += per_entry
            remaining -= 1
    return plays, shows


def floor_seconds(plays: int, shows: int, pages: int) -> tuple[float, float, str]:
    """What the rate limits alone cost: (parallel floor, serial floor, detail).

    AniList's activity pages come first (nothing is known before them); then Trakt's
    three budgets run side by side: the seasons reads in the public window and, past it,
    the user's (less its reserve); the user's own reads (watched shows, watched movies,
    settings); the writes. The serial floor is every Trakt budget one after the other
    in one GET window, as before issue 18.
    """
    anilist = max(0, pages - REQUESTS_PER_MINUTE) / REQUESTS_PER_MINUTE * RATE_WINDOW_SECONDS
    user_gets = 3
    gets = shows + user_gets
    per_window = PUBLIC_GET_LIMIT + GET_LIMIT - USER_GET_RESERVE
    trakt_reads = math.floor((gets - 1) / per_window) * GET_PERIOD_SECONDS
    posts = math.ceil(plays / BATCH_SIZE)
    writes = (posts - 1) * WRITE_INTERVAL_SECONDS
    serial_reads = math.floor((gets - 1) / GET_LIMIT) * GET_PERIOD_SECONDS
    detail = (
        f"AniList {anilist:.0f} s ({pages} pages at {REQUESTS_PER_MINUTE}/min) + "
        f"max(Trakt reads {trakt_reads:.0f} s ({gets} GETs at {per_window}/"
        f"{GET_PERIOD_SECONDS:.0f} s over the public and user windows), "
        f"writes {writes:.0f} s ({posts} posts at 1/{WRITE_INTERVAL_SECONDS:.0f} s))"
    )
    return anilist + max(trakt_reads, writes), anilist + serial_reads + writes, detail


def endpoint_counts(world: World) -> Counter[str]:
    counts: Counter[str] = Counter()
    for request in world.trakt.requests:
        path = request.path
        if path.startswith("/shows/"):
            path = "/shows/{id}/seasons"
        counts[f"Trakt {request.method} {path}"] += 1
    counts["AniList POST (GraphQL)"] = len(world.anilist.requests)
    return counts


def database_url(use_postgres: bool, tmp: Path) -> tuple[str, str | None]:
    if not use_postgres:
        return f"sqlite:///{tmp / 'bench.db'}", None
    admin = os.environ.get(
        "ANITRAKT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    import psycopg  # only with --postgres: on SQLite the sync never loads it (9 MB of libpq)

    name = f"anitrakt_bench_{uuid.uuid4().hex[:8]}"
    libpq = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin).set(database=name).render_as_string(hide_password=False), name


def migrate_in_a_child(url: str, data_dir: Path) -> None:
    """`anitrakt db upgrade` in its own process, as `make run` and a deployment do before
    the service starts: a process on a current schema never loads Alembic (7 MB), so
    the sync's peak RSS measured here is the sync's, not the migration's."""
    env = {**os.environ, "DATABASE_URL": url, "ANITRAKT_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "anitrakt", "db", "upgrade"]
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=data_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--episodes", type=int, default=15000)
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL, not SQLite")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the run logs every unmapped/pending line to stderr

    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = database_url(args.postgres, Path(tmp))
        engine = create_db_engine(url)
        try:
            migrate_in_a_child(url, Path(tmp))
            sessions = create_session_factory(engine)
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, database_url=url, anitrakt_data_dir=Path(tmp)
            )
            world = World(sessions, settings)
            world.trakt.enforce_rate_limits = True
            plays, shows = build_library(world, args.entries, args.episodes)
            pages = math.ceil(len(world.anilist.activities) / ACTIVITIES_PER_PAGE)
            floor, serial_floor, detail = floor_seconds(plays, shows, pages)

            virtual_start = world.clock.time()
            real_start = time.perf_counter()
            report = run_full(world.deps())
            real = time.perf_counter() - real_start
            virtual = world.clock.time() - virtual_start
            counts = endpoint_counts(world)
            history = world.history()

            anilist_before, trakt_before = len(world.anilist.requests), len(world.trakt.requests)
            real_start = time.perf_counter()
            idle = run_full(world.deps())
            idle_real = time.perf_counter() - real_start
            idle_anilist = len(world.anilist.requests) - anilist_before
            idle_trakt = len(world.trakt.requests) - trakt_before
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            exact = sum(history.values()) == plays and max(history.values()) == 1
            throttled = world.trakt.rate_limited
            result = {
                "database": "PostgreSQL" if args.postgres else "SQLite",
                "entries": args.entries,
                "plays": plays,
                "shows": shows,
                "message": report.message,
                "exact": exact,
                "requests": dict(sorted(counts.items())),
                "floor_seconds": floor,
                "floor_detail": detail,
                "serial_floor_seconds": serial_floor,
                "virtual_seconds": virtual,
                "ratio": virtual / floor if floor else None,
                "serial_ratio": virtual / serial_floor if serial_floor else None,
                "throttled": throttled,
                "real_seconds": real,
                "idle_anilist_requests": idle_anilist,
                "idle_trakt_requests": idle_trakt,
                "idle_plays": idle.added,
                "idle_ms": idle_real * 1000,
                "peak_rss_mb": peak,
            }
            if args.json:
                print(json.dumps(result))
                return
            print(f"database: {result['database']}")
            print(f"library: {args.entries} entries, {plays} plays, {shows} Trakt shows")
            print(f"result: {report.message}")
            print(f"history exact: {exact}")
            for name, count in sorted(counts.items()):
                print(f"  {count:6d}  {name}")
            print(f"rate-limit floor: {floor:.0f} s virtual = {detail}")
            print(f"serial floor (one budget after another): {serial_floor:.0f} s")
            ratio = virtual / floor if floor else float("nan")
            serial_ratio = virtual / serial_floor if serial_floor else float("nan")
            print(
                f"virtual time: {virtual:.0f} s ({ratio:.3f} × floor, {serial_ratio:.3f} × "
                f"serial floor); real time: {real:.1f} s"
            )
            print(f"throttled (429s from the fake Trakt): {throttled}")
            print(
                f"no-op incremental run: {idle_anilist} AniList request(s), {idle_trakt} Trakt "
                f"request(s), {idle.added} plays, {idle_real * 1000:.0f} ms"
            )
            print(f"peak RSS (whole process, fakes included): {peak:.0f} MB")
        finally:
            engine.dispose()
            if pg_name is not None:
                admin = os.environ.get(
                    "ANITRAKT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
                )
                libpq = (
                    make_url(admin)
                    .set(drivername="postgresql")
                    .render_as_string(hide_password=False)
                )
                import psycopg

                with psycopg.connect(libpq, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
