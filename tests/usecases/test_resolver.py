"""The AniList → Trakt resolution chain (SPEC §4) end to end, on SQLite and PostgreSQL.

The sources are small Fribb and Otaku files this module writes and refreshes through the
real refresh path; Trakt and TMDB are the stateful fakes, in-process with a ManualClock
(retries cost no real time). What is asserted is what a person would notice: the
mapping each entry gets, the mapping stored afterwards, the searches Trakt received,
the log lines, and — through the sync — the episodes that end up in the Trakt history.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.tmdb import TMDBClient
from anitrakt.clients.trakt import TraktClient
from anitrakt.config import Settings
from anitrakt.domain.anilist import Media
from anitrakt.domain.resolution import (
    MAP_BY_HAND,
    NO_IDS,
    NO_SOURCE_ENTRY,
    NO_TRAKT_MATCH,
    SOURCES_NOT_LOADED,
)
from anitrakt.domain.values import IdMapping, Resolution, SourceName, TraktType, Unresolved
from anitrakt.errors import ConfigError
from anitrakt.store.logs import list_logs
from anitrakt.store.mappings import get_mapping, list_mappings, mapping_value, save_mapping
from anitrakt.store.tokens import SqlTokenStore
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.resolver import ChainResolver
from anitrakt.usecases.sources.index import SharedSourceIndex
from anitrakt.usecases.sources.refresh import refresh_source
from anitrakt.usecases.sync.modes import run_full
from clocks import ManualClock
from fakes.files import fribb_json, otaku_db
from fakes.tmdb import FakeTMDB
from fakes.trakt import FakeTrakt
from fakes.transport import SyncASGITransport
from sql_log import recorded_statements as sql_statements
from sync_world import World

SHOW, MOVIE = TraktType.SHOW, TraktType.MOVIE
TRAKT_HOST = "api.trakt.test"
TMDB_HOST = "tmdb.test"
TMDB_KEY = "fake-tmdb-key"
# How many times the HTTP helper tries one request (clients.http.RetryPolicy default).
ATTEMPTS = 5

# --- AniList entries, one per situation -----------------------------------------------
MANUAL, STORED_AUTO, OTAKU_HIT = 10, 11, 12
TMDB_SEASON, TVDB_SEASON, OTAKU_SEASON = 13, 14, 15
IMDB_FALLBACK, TVDB_FALLBACK, TMDB_LEARNS, OTAKU_IDS = 16, 17, 18, 19
MOVIE_BY_TMDB_KIND, AOT_S3P2, YOUR_NAME = 20, 104578, 21519
IMDB_MOVIE, TV_TMDB_ID = 22, 23
NO_SOURCE, NO_ID, NO_MATCH = 500, 501, 502

# --- what Trakt has ---------------------------------------------------------------------
AOT, IMDB_ONLY, TVDB_ONLY, LEARNED, SEASONED, YOUR_NAME_MOVIE = 2001, 2002, 2003, 2004, 2005, 4001

FRIBB: list[dict[str, Any]] = [
    {
        "anilist_id": AOT_S3P2,
        "type": "TV",
        "tvdb_id": 267440,
        "themoviedb_id": {"tv": 1429},
        "season": {"tvdb": 3, "tmdb": 3},
        "episode_offset": {"tvdb": 12, "tmdb": 12},
    },
    # Sources that would lead elsewhere: a stored mapping or Otaku's trakt_id must win.
    {"anilist_id": MANUAL, "type": "TV", "themoviedb_id": {"tv": 1429}},
    {"anilist_id": STORED_AUTO, "type": "TV", "themoviedb_id": {"tv": 1429}},
    {"anilist_id": OTAKU_HIT, "type": "TV", "themoviedb_id": {"tv": 1429}},
    {
        "anilist_id": TMDB_SEASON,
        "type": "TV",
        "themoviedb_id": {"tv": 4242},
        "season": {"tvdb": 4, "tmdb": 2},
        "episode_offset": {"tvdb": 24, "tmdb": 12},
    },
    {
        "anilist_id": TVDB_SEASON,
        "type": "TV",
        "themoviedb_id": {"tv": 4242},
        "season": {"tvdb": 3},
        "episode_offset": {"tvdb": 5},
    },
    {"anilist_id": OTAKU_SEASON, "type": "TV", "themoviedb_id": {"tv": 4242}},
    {
        "anilist_id": IMDB_FALLBACK,
        "type": "TV",
        "themoviedb_id": {"tv": 111},
        "imdb_id": ["tt0000222"],
    },
    {
        "anilist_id": TVDB_FALLBACK,
        "type": "TV",
        "tvdb_id": 555,
        "themoviedb_id": {"tv": 333},
        "imdb_id": ["tt0000444"],
    },
    {"anilist_id": TMDB_LEARNS, "type": "TV", "themoviedb_id": {"tv": 666}},
    {"anilist_id": OTAKU_IDS, "type": "TV", "tvdb_id": 999},
    {
        "anilist_id": YOUR_NAME,
        "type": "MOVIE",
        "themoviedb_id": {"movie": [372058]},
        "imdb_id": ["tt5311514"],
    },
    {"anilist_id": MOVIE_BY_TMDB_KIND, "type": "MOVIE", "themoviedb_id": {"movie": [372058]}},
    {"anilist_id": IMDB_MOVIE, "type": "MOVIE", "imdb_id": ["tt5311514"]},
    {"anilist_id": TV_TMDB_ID, "type": "TV", "themoviedb_id": {"tv": 372058}},
    {"anilist_id": NO_ID, "type": "TV", "mal_id": 5010},
    {"anilist_id": NO_MATCH, "type": "TV", "tvdb_id": 54321, "themoviedb_id": {"tv": 12345}},
]
OTAKU: list[dict[str, Any]] = [
    {"anilist_id": MANUAL, "trakt_id": 7010, "anime_media_type": "TV"},
    {"anilist_id": STORED_AUTO, "trakt_id": 7011, "anime_media_type": "TV"},
    {
        "anilist_id": OTAKU_HIT,
        "trakt_id": 7012,
        "thetvdb_id": 267440,
        "thetvdb_season": 2,
        "anime_media_type": "TV",
    },
    {"anilist_id": TMDB_SEASON, "thetvdb_season": 9, "anime_media_type": "TV"},
    {"anilist_id": OTAKU_SEASON, "thetvdb_season": 2, "anime_media_type": "TV"},
    {"anilist_id": OTAKU_IDS, "themoviedb_id": 1429, "anime_media_type": "TV"},
]
STORED = [
    IdMapping(MANUAL, 1010, manual=True, trakt_type=SHOW),
    IdMapping(STORED_AUTO, 1011, tmdb_id=1429, trakt_type=SHOW),
]
MEDIA = {
    AOT_S3P2: Media(AOT_S3P2, title_english="Attack on Titan Season 3 Part 2", format="TV"),
    YOUR_NAME: Media(YOUR_NAME, title_english="Your Name.", format="MOVIE"),
    NO_SOURCE: Media(NO_SOURCE, title_english="Nobody Knows", format="TV"),
}


def media(anilist_id: int) -> Media:
    """The AniList media as the sync reads it (format TV unless listed above)."""
    return MEDIA.get(anilist_id, Media(anilist_id, title_english=f"Show {anilist_id}", format="TV"))


def auto(anilist_id: int, trakt_id: int, **ids: Any) -> IdMapping:
    return IdMapping(anilist_id, trakt_id, trakt_type=ids.pop("kind", SHOW), **ids)


def search(id_type: str, value: int | str, kind: TraktType = SHOW) -> str:
    return f"/search/{id_type}/{value}?type={kind.value}"


# --- the world ------------------------------------------------------------------------


@dataclass
class Chain:
    runtime: Runtime
    trakt: FakeTrakt
    tmdb: FakeTMDB
    resolver: ChainResolver
    clients: list[Any] = field(default_factory=list)

    def resolve(self, *ids: int, save: bool = True) -> dict[int, Resolution]:
        return self.resolver.resolve_many([media(i) for i in ids], save=save)

    def searches(self) -> list[str]:
        """Every id search Trakt received, in order."""
        return [
            f"{r.path}?type={r.query.get('type')}"
            for r in self.trakt.requests
            if r.path.startswith("/search/")
        ]

    def stored(self, anilist_id: int) -> IdMapping | None:
        with self.runtime.sessions() as session:
            row = get_mapping(session, anilist_id)
            return None if row is None else mapping_value(row)

    def stored_ids(self) -> set[int]:
        with self.runtime.sessions() as session:
            return {row.anilist_id for row in list_mappings(session)}

    def resolution_logs(self, level: str | None = None) -> list[str]:
        with self.runtime.sessions() as session:
            rows = list_logs(session, limit=1000)
        return [
            r.message
            for r in reversed(rows)
            if r.message.startswith("id resolution") and level in (None, r.level)
        ]


def _write_sources(folder: Path) -> tuple[Path, Path]:
    fribb, otaku = folder / "anime-list-full.json", folder / "anime_mappings.db"
    fribb.write_bytes(fribb_json(FRIBB))
    otaku.write_bytes(otaku_db(OTAKU))
    return fribb, otaku


def build_chain(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    folder: Path,
    *,
    tmdb_key: str | None = TMDB_KEY,
    load_sources: bool = True,
) -> Chain:
    """Sources refreshed from files, stored rows saved, clients wired to the fakes."""
    fribb, otaku = _write_sources(folder)
    configured = settings.model_copy(
        update={
            "fribbs_url": str(fribb),
            "otaku_url": str(otaku),
            "trakt_client_id": "fake-client-id",
            "trakt_api_url": f"http://{TRAKT_HOST}",
            "tmdb_api_key": SecretStr(tmdb_key) if tmdb_key else None,
            "tmdb_api_url": f"http://{TMDB_HOST}",
        }
    )
    runtime = Runtime(configured, engine, sessions, EventLog(sessions))
    if load_sources:
        refresh_source(runtime, SourceName.FRIBB)
        refresh_source(runtime, SourceName.OTAKU)
    with sessions.begin() as session:
        for mapping in STORED:
            save_mapping(session, mapping)

    fake_trakt = FakeTrakt(api_host=TRAKT_HOST)
    fake_trakt.add_show(
        AOT,
        "Attack on Titan",
        tmdb=1429,
        tvdb=267440,
        imdb="tt2560140",
        seasons={1: 25, 2: 12, 3: 22},
    )
    fake_trakt.add_show(IMDB_ONLY, "Known By IMDb", imdb="tt0000222", seasons={1: 12})
    fake_trakt.add_show(TVDB_ONLY, "Known By TVDB", tvdb=555, seasons={1: 12})
    fake_trakt.add_show(LEARNED, "Known By Learned IMDb", imdb="tt0000777", seasons={1: 12})
    fake_trakt.add_show(SEASONED, "Many Seasons", tmdb=4242, seasons={1: 12, 2: 12, 3: 12})
    fake_trakt.add_movie(YOUR_NAME_MOVIE, "Your Name.", year=2016, tmdb=372058, imdb="tt5311514")
    fake_tmdb = FakeTMDB(api_key=TMDB_KEY)
    fake_tmdb.add_tv(1429, imdb_id="tt2560140", tvdb_id=267440)
    fake_tmdb.add_tv(666, imdb_id="tt0000777", tvdb_id=888)
    fake_tmdb.add_movie(372058, imdb_id="tt5311514")

    clock = ManualClock()
    trakt = TraktClient.from_settings(
        configured,
        SqlTokenStore(sessions),
        clock=clock,
        transport=SyncASGITransport(fake_trakt.app),
    )
    tmdb = TMDBClient.from_settings(
        configured, clock=clock, transport=SyncASGITransport(fake_tmdb.app)
    )
    resolver = runtime.resolver(trakt, tmdb)
    return Chain(runtime, fake_trakt, fake_tmdb, resolver, [trakt, tmdb])


@pytest.fixture
def make_chain(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> Iterator[Callable[..., Chain]]:
    """Build a chain (`tmdb_key=None` disables TMDB, `load_sources=False` leaves the
    mapping sources unloaded); clients are closed afterwards."""
    built: list[Chain] = []

    def make(**options: Any) -> Chain:
        built.append(build_chain(settings, engine, sessions, tmp_path, **options))
        return built[-1]

    yield make
    for one in built:
        for client in one.clients:
            client.close()


@pytest.fixture
def chain(make_chain: Callable[..., Chain]) -> Chain:
    return make_chain()


# --- each step, in order ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("anilist_id", "expected", "searches"),
    [
        pytest.param(
            MANUAL, IdMapping(MANUAL, 1010, manual=True, trakt_type=SHOW), [],
            id="1-manual-beats-otaku-and-fribb",
        ),
        pytest.param(
            STORED_AUTO, auto(STORED_AUTO, 1011, tmdb_id=1429), [],
            id="1-stored-auto-beats-otaku",
        ),
        pytest.param(
            OTAKU_HIT,
            auto(OTAKU_HIT, 7012, tmdb_id=1429, tvdb_id=267440, trakt_season=2, episode_offset=0),
            [],
            id="2-otaku-trakt-id-with-fribb-ids-and-otaku-season",
        ),
        pytest.param(
            AOT_S3P2,
            auto(
                AOT_S3P2, AOT, tmdb_id=1429, imdb_id="tt2560140", tvdb_id=267440,
                trakt_season=3, episode_offset=12,
            ),
            [search("tmdb", 1429)],
            id="5-trakt-search-by-fribb-tmdb-with-season-hint",
        ),
        pytest.param(
            TMDB_SEASON,
            auto(TMDB_SEASON, SEASONED, tmdb_id=4242, trakt_season=2, episode_offset=12),
            [search("tmdb", 4242)],
            id="season-prefers-tmdb-over-tvdb-and-otaku",
        ),
        pytest.param(
            TVDB_SEASON,
            auto(TVDB_SEASON, SEASONED, tmdb_id=4242, trakt_season=3, episode_offset=5),
            [search("tmdb", 4242)],
            id="season-from-tvdb-when-fribb-has-no-tmdb-season",
        ),
        pytest.param(
            OTAKU_SEASON,
            auto(OTAKU_SEASON, SEASONED, tmdb_id=4242, trakt_season=2, episode_offset=0),
            [search("tmdb", 4242)],
            id="season-from-otaku-when-fribb-has-none",
        ),
        pytest.param(
            IMDB_FALLBACK,
            auto(IMDB_FALLBACK, IMDB_ONLY, tmdb_id=111, imdb_id="tt0000222"),
            [search("tmdb", 111), search("imdb", "tt0000222")],
            id="5-falls-back-to-imdb",
        ),
        pytest.param(
            TVDB_FALLBACK,
            auto(TVDB_FALLBACK, TVDB_ONLY, tmdb_id=333, imdb_id="tt0000444", tvdb_id=555),
            [search("tmdb", 333), search("imdb", "tt0000444"), search("tvdb", 555)],
            id="5-falls-back-to-tvdb",
        ),
        pytest.param(
            TMDB_LEARNS,
            auto(TMDB_LEARNS, LEARNED, tmdb_id=666, imdb_id="tt0000777", tvdb_id=888),
            [search("tmdb", 666), search("imdb", "tt0000777")],
            id="4-tmdb-learns-imdb-and-tvdb",
        ),
        pytest.param(
            OTAKU_IDS,
            auto(OTAKU_IDS, AOT, tmdb_id=1429, imdb_id="tt2560140", tvdb_id=999),
            [search("tmdb", 1429)],
            id="3-fribb-merged-with-otaku-ids",
        ),
        pytest.param(
            YOUR_NAME,
            auto(YOUR_NAME, YOUR_NAME_MOVIE, tmdb_id=372058, imdb_id="tt5311514", kind=MOVIE),
            [search("tmdb", 372058, MOVIE)],
            id="movie-by-anilist-format",
        ),
        pytest.param(
            MOVIE_BY_TMDB_KIND,
            auto(
                MOVIE_BY_TMDB_KIND, YOUR_NAME_MOVIE, tmdb_id=372058, imdb_id="tt5311514",
                kind=MOVIE,
            ),
            [search("tmdb", 372058, MOVIE)],
            id="movie-by-tmdb-movie-id",
        ),
    ],
)  # fmt: skip
def test_each_step_of_the_chain(
    chain: Chain, anilist_id: int, expected: IdMapping, searches: list[str]
) -> None:
    result = chain.resolve(anilist_id)

    assert result == {anilist_id: expected}
    assert chain.searches() == searches
    assert chain.stored(anilist_id) == expected


@pytest.mark.parametrize(
    ("anilist_id", "anilist_format", "expected", "searches"),
    [
        pytest.param(
            IMDB_MOVIE, None,
            auto(IMDB_MOVIE, YOUR_NAME_MOVIE, tmdb_id=372058, imdb_id="tt5311514", kind=MOVIE),
            [search("imdb", "tt5311514", MOVIE)],
            id="format-unknown-the-sources-say-movie",
        ),
        pytest.param(
            IMDB_MOVIE, "TV",
            Unresolved(IMDB_MOVIE, f"{NO_TRAKT_MATCH} for imdb tt5311514; {MAP_BY_HAND}"),
            [search("imdb", "tt5311514")],
            id="anilist-format-beats-the-sources-type",
        ),
        pytest.param(
            TV_TMDB_ID, "MOVIE",
            Unresolved(TV_TMDB_ID, f"{NO_TRAKT_MATCH} (no movie ids to search by); {MAP_BY_HAND}"),
            [],
            id="a-tv-tmdb-id-is-never-searched-as-a-movie",
        ),
    ],
)  # fmt: skip
def test_show_or_movie(
    chain: Chain,
    anilist_id: int,
    anilist_format: str | None,
    expected: Resolution,
    searches: list[str],
) -> None:
    result = chain.resolver.resolve_many([Media(anilist_id, format=anilist_format)])

    assert result == {anilist_id: expected}
    assert chain.searches() == searches


def test_without_a_tmdb_key_the_tmdb_step_is_skipped(make_chain: Callable[..., Chain]) -> None:
    chain = make_chain(tmdb_key=None)

    result = chain.resolve(TMDB_LEARNS, AOT_S3P2)

    assert result[TMDB_LEARNS] == Unresolved(
        TMDB_LEARNS, f"{NO_TRAKT_MATCH} for tmdb 666; {MAP_BY_HAND}"
    )
    # AoT still resolves by its TMDB id; its IMDb id is learned from Trakt's answer.
    assert result[AOT_S3P2] == auto(
        AOT_S3P2, AOT, tmdb_id=1429, imdb_id="tt2560140", tvdb_id=267440,
        trakt_season=3, episode_offset=12,
    )  # fmt: skip
    assert chain.tmdb.requests == []


# --- misses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("anilist_id", "reason"),
    [
        pytest.param(NO_SOURCE, NO_SOURCE_ENTRY, id="no-source-entry"),
        pytest.param(NO_ID, NO_IDS, id="no-ids"),
        pytest.param(
            NO_MATCH, f"{NO_TRAKT_MATCH} for tmdb 12345, tvdb 54321; {MAP_BY_HAND}", id="no-match"
        ),
    ],
)
def test_a_miss_is_unmapped_with_its_reason_and_warned_once_per_call(
    chain: Chain, anilist_id: int, reason: str
) -> None:
    item = media(anilist_id)

    first = chain.resolver.resolve_many([item, item, media(AOT_S3P2)])
    second = chain.resolver.resolve_many([item])

    assert first[anilist_id] == second[anilist_id] == Unresolved(anilist_id, reason)
    assert isinstance(first[AOT_S3P2], IdMapping)
    line = f"id resolution: {item.title} (AniList {anilist_id}) unmapped: {reason}"
    unmapped = [m for m in chain.resolution_logs("warn") if "unmapped" in m]
    assert unmapped == [line, line]  # once per call, at warn, although asked twice
    assert "map it by hand" in reason
    assert anilist_id not in chain.stored_ids()


def test_before_any_source_is_loaded_a_miss_says_to_refresh_them(
    make_chain: Callable[..., Chain],
) -> None:
    chain = make_chain(load_sources=False)

    result = chain.resolve(NO_SOURCE, MANUAL)

    assert result[NO_SOURCE] == Unresolved(NO_SOURCE, SOURCES_NOT_LOADED, retry=True)
    assert "anitrakt refresh fribbs" in SOURCES_NOT_LOADED
    assert result[MANUAL] == chain.stored(MANUAL)  # stored mappings need no source
    assert chain.trakt.requests == []


# --- batches ---------------------------------------------------------------------------


MAPPINGS_READ = re.compile(r"^\s*SELECT\b.*\bFROM mappings\b", re.S | re.I)
MAPPINGS_WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM) mappings\b", re.I)
BATCH = [
    MANUAL, STORED_AUTO, OTAKU_HIT, AOT_S3P2, TMDB_SEASON, IMDB_FALLBACK, YOUR_NAME, NO_SOURCE,
    AOT_S3P2,  # asked twice, resolved once
]  # fmt: skip
BATCH_SEARCHES = [
    search("tmdb", 1429),
    search("tmdb", 4242),
    search("tmdb", 111),
    search("imdb", "tt0000222"),
    search("tmdb", 372058, MOVIE),
]


def _count(pattern: re.Pattern[str], statements: Iterable[str]) -> int:
    return sum(1 for statement in statements if pattern.match(statement))


def test_a_batch_reads_mappings_once_and_searches_only_unmapped_ids(
    chain: Chain, engine: Engine
) -> None:
    with sql_statements(engine) as statements:
        first = chain.resolve(*BATCH)

    assert set(first) == set(BATCH)
    assert _count(MAPPINGS_READ, statements) == 1
    assert chain.searches() == BATCH_SEARCHES
    assert chain.stored_ids() == set(BATCH) - {NO_SOURCE}

    chain.trakt.reset()
    chain.tmdb.reset()
    with sql_statements(engine) as statements:
        again = chain.resolve(*BATCH)

    assert again == first
    assert _count(MAPPINGS_READ, statements) == 1
    assert _count(MAPPINGS_WRITE, statements) == 0
    assert chain.trakt.requests == []
    assert chain.tmdb.requests == []


def test_a_dry_run_resolves_the_same_and_stores_nothing(chain: Chain) -> None:
    dry = chain.resolve(*BATCH, save=False)

    assert chain.stored_ids() == {MANUAL, STORED_AUTO}
    assert chain.searches() == BATCH_SEARCHES
    assert chain.resolve(*BATCH, save=False) == dry
    assert chain.searches() == BATCH_SEARCHES * 2  # nothing was remembered
    assert "id resolution: found (dry run, not saved) 5 new auto mapping(s)" in "\n".join(
        chain.resolution_logs()
    )

    assert chain.resolve(*BATCH) == dry
    assert chain.stored_ids() == set(BATCH) - {NO_SOURCE}


# --- manual always wins -------------------------------------------------------------------


class RacingIndex(SharedSourceIndex):
    """The source index, while a person saves a manual mapping for the entry being resolved."""

    def __init__(self, sessions: sessionmaker[Session], manual: IdMapping) -> None:
        super().__init__(sessions)
        self._writer = sessions
        self._manual = manual

    def lookup_many(self, anilist_ids: Iterable[int]) -> dict[int, Any]:
        with self._writer.begin() as session:
            save_mapping(session, self._manual)
        return super().lookup_many(anilist_ids)


def test_an_auto_result_never_overwrites_a_manual_mapping_saved_meanwhile(chain: Chain) -> None:
    manual = IdMapping(AOT_S3P2, 9999, manual=True, trakt_type=SHOW, trakt_season=1)
    runtime = chain.runtime
    trakt, tmdb = chain.clients
    racing = ChainResolver(
        runtime.sessions, runtime.events, RacingIndex(runtime.sessions, manual), trakt, tmdb
    )

    result = racing.resolve_many([media(AOT_S3P2)])

    assert chain.searches() == [search("tmdb", 1429)]  # the chain did find AoT…
    assert result == {AOT_S3P2: manual}  # …but the person's mapping wins
    assert chain.stored(AOT_S3P2) == manual


# --- failing upstreams ----------------------------------------------------------------------


def test_a_rejected_search_leaves_only_that_entry_unmapped(chain: Chain) -> None:
    chain.trakt.fail_next(status=400, path="/search/tmdb/1429")

    result = chain.resolve(AOT_S3P2, IMDB_FALLBACK, OTAKU_HIT)

    assert result[AOT_S3P2] == Unresolved(
        AOT_S3P2, "Trakt search by tmdb failed: Trakt rejected GET /search/tmdb/1429 (HTTP 400)"
    )
    assert result[IMDB_FALLBACK] == auto(IMDB_FALLBACK, IMDB_ONLY, tmdb_id=111, imdb_id="tt0000222")
    assert isinstance(result[OTAKU_HIT], IdMapping)
    assert chain.stored_ids() == {MANUAL, STORED_AUTO, IMDB_FALLBACK, OTAKU_HIT}


def test_trakt_down_skips_the_remaining_searches_but_not_the_batch(chain: Chain) -> None:
    chain.trakt.fail_next(100, status=503, path="/search/*")

    result = chain.resolve(AOT_S3P2, IMDB_FALLBACK, OTAKU_HIT, MANUAL)

    down = "Trakt is unavailable (HTTP 503)"
    # An outage may clear by itself: these misses are retried, not counted as handled.
    assert result[AOT_S3P2] == Unresolved(
        AOT_S3P2, f"Trakt search by tmdb failed: {down}", retry=True
    )
    assert result[IMDB_FALLBACK] == Unresolved(
        IMDB_FALLBACK, f"Trakt search unavailable: {down}", retry=True
    )
    assert result[OTAKU_HIT] == chain.stored(OTAKU_HIT)
    assert result[MANUAL] == IdMapping(MANUAL, 1010, manual=True, trakt_type=SHOW)
    assert len(chain.searches()) == ATTEMPTS  # one request's retries, not one per entry
    warnings = [w for w in chain.resolution_logs("warn") if "unmapped" not in w]
    assert warnings == [f"id resolution: Trakt search skipped for the rest of this run: {down}"]


def test_tmdb_down_only_skips_the_tmdb_step(chain: Chain) -> None:
    chain.tmdb.fail_next(100, status=503)

    result = chain.resolve(TMDB_LEARNS, AOT_S3P2)

    assert result[TMDB_LEARNS] == Unresolved(
        TMDB_LEARNS, f"{NO_TRAKT_MATCH} for tmdb 666; {MAP_BY_HAND}"
    )
    assert isinstance(result[AOT_S3P2], IdMapping)
    assert result[AOT_S3P2].trakt_id == AOT
    assert len(chain.tmdb.requests) == ATTEMPTS
    assert [w for w in chain.resolution_logs("warn") if "unmapped" not in w] == [
        "id resolution: TMDB lookups skipped for this run: TMDB is unavailable (HTTP 503)"
    ]


def test_a_rejected_tmdb_key_stops_resolution_but_keeps_what_was_found(
    make_chain: Callable[..., Chain],
) -> None:
    chain = make_chain(tmdb_key="not-the-right-key")

    with pytest.raises(ConfigError, match="TMDB_API_KEY"):
        chain.resolve(OTAKU_HIT, TMDB_LEARNS)

    assert chain.stored(OTAKU_HIT) == auto(
        OTAKU_HIT, 7012, tmdb_id=1429, tvdb_id=267440, trakt_season=2, episode_offset=0
    )


# --- through the sync -----------------------------------------------------------------------


def test_a_sync_posts_an_unmapped_entry_resolved_through_fribb(
    sessions: sessionmaker[Session], settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    world = World(sessions, settings)
    world.trakt.add_show(AOT, "Attack on Titan", tmdb=1429, seasons={1: 25, 2: 12, 3: 22})
    world.media(AOT_S3P2, "Attack on Titan Season 3 Part 2", episodes=10)
    world.watched(AOT_S3P2, "1 - 3")
    fribb, _ = _write_sources(tmp_path)
    runtime = Runtime(
        world.settings.model_copy(update={"fribbs_url": str(fribb)}), engine, sessions, world.events
    )
    refresh_source(runtime, SourceName.FRIBB)

    report = run_full(world.deps())

    assert report.error is None
    # Fribb: season 3, 12 episodes into it (Part 1) — AniList episodes 1–3 are S3E13–15.
    assert world.history() == Counter({(AOT, 3, 13): 1, (AOT, 3, 14): 1, (AOT, 3, 15): 1})
    with sessions() as session:
        row = get_mapping(session, AOT_S3P2)
        assert row is not None
        stored = mapping_value(row)
    assert stored == auto(
        AOT_S3P2, AOT, tmdb_id=1429, tvdb_id=267440, trakt_season=3, episode_offset=12
    )


def test_no_source_entry_names_the_sources_tried_and_the_fix() -> None:
    for words in ("Fribb", "Otaku", "anitrakt map", "Find on Trakt"):
        assert words in NO_SOURCE_ENTRY
