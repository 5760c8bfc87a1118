"""A whole little world for sync tests: fake AniList + fake Trakt + a real database.

`World` holds the production container (`Runtime`) wired to the fakes in-process (a
ManualClock, so pacing and retries cost no real time); `world.deps()` is what a run gets.
keep the tests short: `world.show(...)`, `world.watched(...)`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.trakt import TokenSet
from anitrakt.domain.values import IdMapping, SourceName, TraktType
from anitrakt.store.mappings import save_mapping
from anitrakt.store.source_entries import replace_source_entries
from anitrakt.store.system_config import delete_config
from anitrakt.store.tokens import save_tokens
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.sources.refresh import refresh_source
from anitrakt.usecases.sync.report import SyncDeps
from clocks import ManualClock
from fakes.anilist import FakeAniList
from fakes.covers import CDN_PATH, publish_covers
from fakes.files import FileServer, fribb_json
from fakes.server import Gate, serve_in_thread
from fakes.trakt import FakeEpisode, FakeTrakt
from fakes.transport import RoutingTransport, SyncASGITransport

ANILIST_TOKEN = "anilist-token-for-tests-0123456789"
API_HOST = "api.trakt.test"
AUTH_HOST = "auth.trakt.test"
CDN_HOST = "cdn.anilist.test"
CDN_URL = f"http://{CDN_HOST}{CDN_PATH}"


# The small library the API and CLI sync tests share: a split cour mapped with a season
# hint, a sequel part mapped to season 3 after 12 episodes, and an unmappable entry.
SPLIT, SPLIT_TRAKT, AOT, AOT_TRAKT, LOST = 300, 3001, 104578, 2001, 600
# Jujutsu Kaisen 2nd Season (`jujutsu_kaisen`): TMDB keeps it in season 1 (S1E25–47).
JJK_2, JJK_TRAKT, JJK_TMDB = 145064, 7001, 95479
WEEK = timedelta(days=7)
JJK_FIRST_COUR = datetime(2020, 10, 2, 15, 25, tzinfo=UTC)
JJK_SECOND_SEASON = datetime(2023, 7, 6, 14, 56, tzinfo=UTC)


def trakt_instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def weekly(start: datetime, count: int, first_number: int = 1) -> list[FakeEpisode]:
    """`count` weekly episodes from `start`, numbered from `first_number`, with air dates."""
    return [
        FakeEpisode(first_number + k, first_aired=trakt_instant(start + WEEK * k))
        for k in range(count)
    ]


def weekly_schedule(start: datetime, count: int) -> dict[int, int]:
    """AniList's `airingSchedule` of `count` weekly episodes: episode → unix seconds."""
    return {k + 1: int((start + WEEK * k).timestamp()) for k in range(count)}


class World:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        real_servers: bool = False,
        sources_loaded: bool = True,
    ) -> None:
        """`real_servers=True` builds fakes for `serve()` (real sockets, wall-clock time).

        `sources_loaded` refreshes a one-entry Fribb list first, as a person who set the
        app up would have: entries nobody mapped are then final misses. Without it, every
        miss is one that "may clear by itself" (no mapping source loaded yet).
        """
        self.sessions = sessions
        self.clock = ManualClock(start=time.time() if real_servers else 1_764_000_000.0)
        self.anilist = FakeAniList(self.clock)
        self.user = self.anilist.add_user("alice", token=ANILIST_TOKEN)
        if real_servers:
            self.trakt = FakeTrakt(clock=time.time, in_process=False)
        else:
            self.trakt = FakeTrakt(clock=self.clock.time, api_host=API_HOST, auth_host=AUTH_HOST)
        self.settings = settings.model_copy(
            update={
                "anilist_api_url": "http://anilist.test",
                "anilist_access_token": SecretStr(ANILIST_TOKEN),
                "trakt_client_id": "fake-client-id",
                "trakt_client_secret": SecretStr("fake-client-secret"),
                "trakt_api_url": f"http://{API_HOST}",
                "trakt_auth_url": f"http://{AUTH_HOST}",
                # Local files a test may write (`source_files`); absent, a refresh fails
                # at once instead of trying the real upstream.
                "fribbs_url": str(settings.anitrakt_data_dir / "anime-list-full.json"),
                "otaku_url": str(settings.anitrakt_data_dir / "anime_mappings.db"),
                "anibridge_url": str(settings.anitrakt_data_dir / "mappings.min.json"),
                "anilist_covers_url": CDN_URL,
            }
        )
        # AniList's image CDN; media get covers there only after `with_covers()`.
        self.cdn = FileServer()
        access, refresh = self.trakt.issue_tokens()
        self.tokens = TokenSet(access, refresh, expires_at=self.clock.time() + 604_800)
        with sessions.begin() as session:
            save_tokens(session, self.tokens)
        # The production container, wired to the fakes and the world's clock.
        self.runtime = Runtime(
            self.settings,
            sessions.kw["bind"],
            sessions,
            EventLog(sessions, self.settings.secret_values()),
            transport=self.transport(),
            clock=self.clock,
        )
        self.events = self.runtime.events
        self._open = ExitStack()
        if sources_loaded:
            unrelated = [{"anilist_id": 1, "type": "TV", "themoviedb_id": {"tv": 30991}}]
            Path(self.settings.fribbs_url).write_bytes(fribb_json(unrelated))
            refresh_source(self.runtime, SourceName.FRIBB)
        # What `serve()` puts on the wire: set `.hook` to stop a request at a chosen point.
        self.anilist_gate = Gate(self.anilist)
        self.trakt_gate = Gate(self.trakt.app)

    def deps(self) -> SyncDeps:
        """One run's dependencies, built exactly as `serve` and the CLI build them."""
        return self._open.enter_context(self.runtime.sync_deps())

    def transport(self) -> RoutingTransport:
        """One transport for every upstream host, as `create_app(upstream_transport=…)` takes."""
        trakt = SyncASGITransport(self.trakt.app)
        return RoutingTransport(
            {
                "anilist.test": SyncASGITransport(self.anilist),
                API_HOST: trakt,
                AUTH_HOST: trakt,
                CDN_HOST: SyncASGITransport(self.cdn),
            }
        )

    def with_covers(self) -> dict[int, bytes]:
        """Every media seeded so far gets a cover on the fake CDN; the PNGs, by id."""
        return publish_covers(self.cdn, self.anilist, CDN_URL)

    @contextmanager
    def serve(self) -> Iterator[dict[str, str]]:
        """Run both fakes as real local servers; yields the environment that points at them."""
        with (
            serve_in_thread(self.anilist_gate) as anilist_url,
            serve_in_thread(self.trakt_gate) as trakt,
        ):
            yield {
                "ANILIST_API_URL": anilist_url,
                "ANILIST_ACCESS_TOKEN": ANILIST_TOKEN,
                "TRAKT_CLIENT_ID": "fake-client-id",
                "TRAKT_CLIENT_SECRET": "fake-client-secret",
                "TRAKT_API_URL": trakt,
                "TRAKT_AUTH_URL": trakt,
            }

    def unload_sources(self) -> None:
        """Back to a fresh install: no mapping source loaded (rows and keys gone)."""
        with self.sessions.begin() as session:
            replace_source_entries(session, SourceName.FRIBB, [])
            for key in (keys.CACHE_FRIBBS, keys.STATUS_FRIBBS_LAST_SYNC):
                delete_config(session, key)
        self.runtime.source_index.invalidate()

    def small_library(self) -> World:
        """Fill the fakes and mappings with the SPLIT / AOT / LOST library above."""
        self.trakt.add_show(SPLIT_TRAKT, "Split Cour", seasons={1: 12, 2: 12})
        self.trakt.add_show(AOT_TRAKT, "Attack on Titan", seasons={0: 2, 1: 25, 2: 12, 3: 22})
        self.media(SPLIT, "Split Cour", episodes=24)
        self.media(AOT, "Attack on Titan Season 3 Part 2", episodes=10)
        self.media(LOST, "Nobody Knows", episodes=3)
        self.map(SPLIT, SPLIT_TRAKT, season=1)
        self.map(AOT, AOT_TRAKT, season=3, offset=12)
        return self

    def all_completed(self) -> World:
        """The small library, every entry on the list as COMPLETED (the unmapped one too)."""
        self.small_library()
        for anilist_id, progress in ((SPLIT, 24), (AOT, 10), (LOST, 3)):
            self.anilist.add_entry(self.user.id, anilist_id, progress=progress, status="COMPLETED")
        return self

    def jujutsu_kaisen(self, *, dated: bool = True, extra_fribb: Sequence[Any] = ()) -> None:
        """JJK as TMDB (so Trakt) lists it — one season 1 of 47 — and its 2nd Season.

        Fribb says the 2nd Season is `s2 +0` (TVDB's numbering; Trakt has no season 2).
        `dated`: AniList gives its dates and schedule. `extra_fribb` joins the Fribb list.
        """
        season_1 = weekly(JJK_FIRST_COUR, 24) + weekly(JJK_SECOND_SEASON, 23, 25)
        self.trakt.add_show(JJK_TRAKT, "Jujutsu Kaisen", tmdb=JJK_TMDB, seasons={1: season_1})
        dates: dict[str, Any] = {}
        if dated:
            dates = {
                "start_date": date(2023, 7, 6),
                "end_date": date(2023, 12, 28),
                "airing": weekly_schedule(JJK_SECOND_SEASON, 23),
            }
        self.anilist.add_media(JJK_2, title_english="Jujutsu Kaisen Season 2", episodes=23, **dates)
        fribb = [
            {
                "anilist_id": JJK_2,
                "type": "TV",
                "themoviedb_id": {"tv": JJK_TMDB},
                "season": {"tvdb": 2, "tmdb": 2},
                "episode_offset": {"tvdb": 0, "tmdb": 0},
            },
            *extra_fribb,
        ]
        Path(self.settings.fribbs_url).write_bytes(fribb_json(fribb))
        refresh_source(self.runtime, SourceName.FRIBB)

    # -- library -----------------------------------------------------------------------

    def map(
        self,
        anilist_id: int,
        trakt_id: int | None,
        *,
        season: int | None = None,
        offset: int | None = None,
        movie: bool = False,
    ) -> None:
        with self.sessions.begin() as session:
            save_mapping(
                session,
                IdMapping(
                    anilist_id,
                    trakt_id,
                    manual=True,
                    trakt_type=TraktType.MOVIE if movie else TraktType.SHOW,
                    trakt_season=season,
                    episode_offset=offset,
                ),
            )

    def media(self, anilist_id: int, title: str, *, episodes: int | None, fmt: str = "TV") -> None:
        self.anilist.add_media(anilist_id, title_english=title, episodes=episodes, format=fmt)

    def watched(
        self,
        anilist_id: int,
        progress: str,
        *,
        at: int | None = None,
        status: str = "watched episode",
    ) -> None:
        self.anilist.add_activity(
            self.user.id, anilist_id, status=status, progress=progress, created_at=at
        )

    def generated_library(
        self,
        *,
        singles: int = 150,
        sequel_pairs: int = 15,
        movies: int = 8,
        long_runner_episodes: int = 40,
        first_id: int = 100_000,
    ) -> Counter[Any]:
        """A generated library; returns the exact history a correct sync ends with.

        Two long runners (numbered absolutely inside two seasons), `sequel_pairs` shows
        whose two seasons are separate AniList entries mapped with a season hint (two
        episodes each), `movies` movies and `singles` one-episode shows; every entry is
        watched through one activity. The defaults give 190 entries and 298 plays.
        """
        expected: Counter[Any] = Counter()
        anilist_id, trakt_id = first_id, first_id

        def next_ids() -> tuple[int, int]:
            nonlocal anilist_id, trakt_id
            anilist_id += 1
            trakt_id += 1
            return anilist_id, trakt_id

        half = long_runner_episodes // 2
        for _ in range(2):
            entry, show = next_ids()
            self.trakt.add_show(
                show,
                f"Long runner {show}",
                seasons={
                    1: [FakeEpisode(n, number_abs=n) for n in range(1, half + 1)],
                    2: [
                        FakeEpisode(n, number_abs=n)
                        for n in range(half + 1, long_runner_episodes + 1)
                    ],
                },
            )
            self.media(entry, f"Long runner {entry}", episodes=None)
            self.map(entry, show)
            self.watched(entry, f"1 - {long_runner_episodes}")
            expected.update((show, 1 if n <= half else 2, n) for n in range(1, half + 1))
            expected.update((show, 2, n) for n in range(half + 1, long_runner_episodes + 1))
        for _ in range(sequel_pairs):
            _, show = next_ids()
            self.trakt.add_show(show, f"Sequels {show}", seasons={1: 2, 2: 2})
            for season in (1, 2):
                entry, _ = next_ids()
                self.media(entry, f"Sequels {show} S{season}", episodes=2)
                self.map(entry, show, season=season)
                self.watched(entry, "1 - 2")
                expected.update((show, season, n) for n in (1, 2))
        for _ in range(movies):
            entry, movie = next_ids()
            self.trakt.add_movie(movie, f"Movie {movie}")
            self.media(entry, f"Movie {movie}", episodes=1, fmt="MOVIE")
            self.map(entry, movie, movie=True)
            self.watched(entry, None, status="completed")  # type: ignore[arg-type]
            expected[("movie", movie)] += 1
        for _ in range(singles):
            entry, show = next_ids()
            self.trakt.add_show(show, f"Single {show}", seasons={1: 1})
            self.media(entry, f"Single {show}", episodes=1)
            self.map(entry, show)
            self.watched(entry, "1")
            expected[(show, 1, 1)] += 1
        return expected

    # -- what Trakt ended up with --------------------------------------------------------

    def history(self) -> Counter[Any]:
        return self.trakt.history_counts()

    def posts(self) -> int:
        return sum(
            1 for r in self.trakt.requests if r.method == "POST" and r.path == "/sync/history"
        )

    def trakt_requests(self) -> int:
        return sum(1 for r in self.trakt.requests if r.host == API_HOST)
