"""The Trakt client against the fake Trakt: what ends up in the person's history.

In-process through `SyncASGITransport`, with distinct API and auth hosts (so an OAuth
call on the API host fails), a `ManualClock` shared with the fake (pacing and backoff
are measured, never waited for) and the token store on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.trakt import TraktClient
from anitrakt.clients.trakt_budgets import (
    GET_LIMIT,
    GET_PERIOD_SECONDS,
    PUBLIC_GET_LIMIT,
    USER_GET_RESERVE,
)
from anitrakt.config import Settings
from anitrakt.domain.trakt import (
    EpisodePlay,
    HistoryItems,
    MoviePlay,
    NotFoundItem,
    ShowPlays,
    TokenSet,
    TraktIds,
)
from anitrakt.domain.values import TraktType
from anitrakt.errors import (
    AccountLimit,
    ConfigError,
    UnclearWrite,
    UpstreamNotFound,
    UpstreamRejected,
)
from anitrakt.store.tokens import SqlTokenStore, save_tokens
from clocks import ManualClock
from fakes.server import serve_in_thread
from fakes.trakt import FakeEpisode, FakeTrakt
from fakes.transport import SyncASGITransport

API_HOST = "api.trakt.test"
AUTH_HOST = "auth.trakt.test"
FRIEREN, AOT, ONE_PIECE, YOUR_NAME = 100, 200, 300, 900
WATCHED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_trakt_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRAKT_CLIENT_ID", "TRAKT_CLIENT_SECRET", "TRAKT_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TRAKT_REFRESH_TOKEN", raising=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def catalog(fake: FakeTrakt) -> FakeTrakt:
    fake.add_show(
        FRIEREN, "Frieren", year=2023, tvdb=424536, tmdb=209867, imdb="tt22248376", seasons={1: 28}
    )
    fake.add_show(AOT, "Attack on Titan", year=2013, tmdb=1429, seasons={0: 2, 1: 25, 2: 12})
    # A long runner numbered absolutely inside its seasons (SPEC §5).
    fake.add_show(
        ONE_PIECE,
        "One Piece",
        year=1999,
        tmdb=37854,
        seasons={
            15: [
                FakeEpisode(n, number_abs=n, first_aired=f"2012-01-{n - 318:02d}T01:30:00.000Z")
                for n in range(326, 330)
            ]
        },
    )
    fake.add_movie(YOUR_NAME, "Your Name.", year=2016, tmdb=372058, imdb="tt5311514")
    return fake


@pytest.fixture
def fake(clock: ManualClock) -> FakeTrakt:
    return catalog(FakeTrakt(clock=clock.time, api_host=API_HOST, auth_host=AUTH_HOST))


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "trakt_client_id": "fake-client-id",
        "trakt_client_secret": "fake-client-secret",
        "trakt_api_url": f"http://{API_HOST}",
        "trakt_auth_url": f"http://{AUTH_HOST}",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> SqlTokenStore:
    return SqlTokenStore(sessions)


@pytest.fixture
def tokens(fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock) -> TokenSet:
    """A connected account: a fresh 7-day token pair in the store."""
    access, refresh = fake.issue_tokens()
    stored = TokenSet(access, refresh, expires_at=clock.time() + 604_800)
    with sessions.begin() as session:
        save_tokens(session, stored)
    return stored


@pytest.fixture
def client(
    fake: FakeTrakt, store: SqlTokenStore, clock: ManualClock, tokens: TokenSet
) -> Iterator[TraktClient]:
    with TraktClient.from_settings(
        make_settings(), store, clock=clock, transport=SyncASGITransport(fake.app)
    ) as built:
        yield built


def frieren_plays(*numbers: int, season: int = 1) -> ShowPlays:
    return ShowPlays(
        TraktIds(trakt=FRIEREN), tuple(EpisodePlay(season, n, WATCHED) for n in numbers)
    )


def history_posts(fake: FakeTrakt) -> list[Any]:
    return fake.requests_to("/sync/history", "POST")


# -- configuration and headers ----------------------------------------------------------


def test_a_missing_client_id_names_the_variable(store: SqlTokenStore) -> None:
    with pytest.raises(ConfigError, match="TRAKT_CLIENT_ID"):
        TraktClient.from_settings(make_settings(trakt_client_id=None), store)


def test_every_api_request_carries_trakts_headers_and_goes_to_the_api_host(
    client: TraktClient, fake: FakeTrakt, tokens: TokenSet
) -> None:
    client.search_by_id("tmdb", 209867, TraktType.SHOW)
    client.add_to_history(HistoryItems(shows=(frieren_plays(1),)))
    client.watched_shows()

    assert fake.requests
    for request in fake.requests:
        assert request.host == API_HOST
        assert request.headers["trakt-api-key"] == "fake-client-id"
        assert request.headers["trakt-api-version"] == "2"
        assert request.headers["content-type"] == "application/json"
    post = history_posts(fake)[0]
    assert post.headers["authorization"] == f"Bearer {tokens.access_token}"


def test_a_wrong_client_id_is_reported_plainly(
    fake: FakeTrakt, store: SqlTokenStore, clock: ManualClock
) -> None:
    client = TraktClient.from_settings(
        make_settings(trakt_client_id="someone-else"),
        store,
        clock=clock,
        transport=SyncASGITransport(fake.app),
    )
    with pytest.raises(UpstreamRejected, match="TRAKT_CLIENT_ID") as caught:
        client.search_shows("Frieren")
    assert caught.value.status == 403
    assert len(fake.requests) == 1


# -- catalog ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "value", "kind", "expected"),
    [
        pytest.param("tmdb", 209867, TraktType.SHOW, [FRIEREN], id="tmdb-show"),
        pytest.param("tvdb", 424536, TraktType.SHOW, [FRIEREN], id="tvdb-show"),
        pytest.param("imdb", "tt22248376", TraktType.SHOW, [FRIEREN], id="imdb-show"),
        pytest.param("tmdb", 372058, TraktType.MOVIE, [YOUR_NAME], id="tmdb-movie"),
        pytest.param("tmdb", 209867, TraktType.MOVIE, [], id="show-id-asked-as-movie"),
        pytest.param("tmdb", 1, TraktType.SHOW, [], id="unknown-id"),
    ],
)
def test_search_by_id(
    client: TraktClient,
    fake: FakeTrakt,
    id_type: Any,
    value: int | str,
    kind: TraktType,
    expected: list[int],
) -> None:
    results = client.search_by_id(id_type, value, kind)

    assert [r.ids.trakt for r in results] == expected
    assert all(r.kind is kind for r in results)
    assert fake.requests[-1].query["type"] == kind.value


def test_search_shows_and_show_summary(client: TraktClient) -> None:
    [hit] = client.search_shows("frieren")
    assert hit.show is not None
    assert (hit.show.title, hit.show.year, hit.ids.trakt) == ("Frieren", 2023, FRIEREN)

    show = client.show("frieren")
    assert show.ids == TraktIds(
        trakt=FRIEREN, slug="frieren", tvdb=424536, tmdb=209867, imdb="tt22248376"
    )
    with pytest.raises(UpstreamNotFound):
        client.show("no-such-show")


def test_movie_summary_by_slug_or_id(client: TraktClient) -> None:
    by_slug = client.movie("your-name-2016")
    by_id = client.movie(YOUR_NAME)

    assert by_slug == by_id
    assert (by_slug.title, by_slug.year) == ("Your Name.", 2016)
    assert by_slug.ids == TraktIds(
        trakt=YOUR_NAME, slug="your-name-2016", tmdb=372058, imdb="tt5311514"
    )
    with pytest.raises(UpstreamNotFound):
        client.movie("no-such-movie")


def test_seasons_come_with_every_episode_as_trakt_lists_it(
    client: TraktClient, fake: FakeTrakt
) -> None:
    seasons = client.seasons_with_episodes(AOT)

    assert [(s.number, len(s.episodes)) for s in seasons] == [(0, 2), (1, 25), (2, 12)]
    season_two = seasons[2].episodes
    assert (season_two[0].season, season_two[0].number, season_two[0].number_abs) == (2, 1, 26)
    assert season_two[0].trakt_id == fake.episode_trakt_id(AOT, 2, 1)
    assert seasons[0].episodes[0].number_abs is None
    assert fake.requests[-1].query["extended"] == "full,episodes"

    [long_runner] = client.seasons_with_episodes(ONE_PIECE)
    assert [(e.season, e.number) for e in long_runner.episodes][:2] == [(15, 326), (15, 327)]
    # Air dates for placement by date; an episode without one reads as None.
    assert long_runner.episodes[0].first_aired == datetime(2012, 1, 8, 1, 30, tzinfo=UTC)
    assert season_two[0].first_aired is None


# -- history --------------------------------------------------------------------------------


def test_history_is_posted_show_season_episodes_and_lands_once(
    client: TraktClient, fake: FakeTrakt
) -> None:
    items = HistoryItems(
        shows=(
            ShowPlays(
                TraktIds(trakt=AOT, tmdb=1429),
                (
                    EpisodePlay(2, 1, WATCHED),
                    EpisodePlay(1, 25, WATCHED),
                    EpisodePlay(1, 24, WATCHED),
                ),
            ),
        ),
        movies=(MoviePlay(TraktIds(tmdb=372058), WATCHED),),
    )

    result = client.add_to_history(items)

    assert (result.added_episodes, result.added_movies, result.not_found) == (3, 1, ())
    assert fake.history_counts() == Counter(
        {(AOT, 1, 24): 1, (AOT, 1, 25): 1, (AOT, 2, 1): 1, ("movie", YOUR_NAME): 1}
    )
    assert fake.bare_show_posts == 0
    assert {p.watched_at for p in fake.plays} == {"2024-01-02T03:04:00.000Z"}
    [post] = history_posts(fake)
    assert post.json["shows"] == [
        {
            "ids": {"trakt": AOT},
            "seasons": [
                {
                    "number": 1,
                    "episodes": [
                        {"number": 24, "watched_at": "2024-01-02T03:04:00.000Z"},
                        {"number": 25, "watched_at": "2024-01-02T03:04:00.000Z"},
                    ],
                },
                {
                    "number": 2,
                    "episodes": [{"number": 1, "watched_at": "2024-01-02T03:04:00.000Z"}],
                },
            ],
        }
    ]


def test_a_show_without_episodes_is_never_posted(client: TraktClient, fake: FakeTrakt) -> None:
    bare = HistoryItems(shows=(ShowPlays(TraktIds(trakt=FRIEREN), ()),))

    with pytest.raises(ValueError, match="without explicit episodes"):
        client.add_to_history(bare)

    assert history_posts(fake) == []
    assert fake.plays == []


def test_nothing_to_post_sends_nothing(client: TraktClient, fake: FakeTrakt) -> None:
    result = client.add_to_history(HistoryItems())

    assert (result.added_episodes, result.added_movies) == (0, 0)
    assert fake.requests == []


def test_what_trakt_cannot_find_is_reported_per_episode(
    client: TraktClient, fake: FakeTrakt
) -> None:
    items = HistoryItems(
        shows=(
            frieren_plays(1, 99),
            ShowPlays(TraktIds(trakt=FRIEREN), (EpisodePlay(9, 1, WATCHED),)),
            ShowPlays(TraktIds(tmdb=1), (EpisodePlay(1, 1, WATCHED), EpisodePlay(1, 2, WATCHED))),
        ),
        movies=(MoviePlay(TraktIds(imdb="tt0000111"), WATCHED),),
    )

    result = client.add_to_history(items)

    assert result.added_episodes == 1
    assert fake.history_counts() == Counter({(FRIEREN, 1, 1): 1})
    assert set(result.not_found) == {
        NotFoundItem("episode", TraktIds(trakt=FRIEREN), 1, 99),
        NotFoundItem("season", TraktIds(trakt=FRIEREN), 9, 1),
        NotFoundItem("show", TraktIds(tmdb=1), 1, 1),
        NotFoundItem("show", TraktIds(tmdb=1), 1, 2),
        NotFoundItem("movie", TraktIds(imdb="tt0000111")),
    }


def test_watched_state_reads_every_page(client: TraktClient, fake: FakeTrakt) -> None:
    for n in range(130):
        fake.add_show(5000 + n, f"Filler {n}", seasons={1: 1})
        fake.add_watched(5000 + n, 1, 1)
    fake.add_watched(AOT, 1, 3, plays=2)
    fake.add_watched_movie(YOUR_NAME)

    shows = {s.show.ids.trakt: s for s in client.watched_shows()}
    movies = client.watched_movies()

    assert len(shows) == 131
    assert shows[AOT].plays == {(1, 3): 2}
    assert [(m.movie.ids.trakt, m.plays) for m in movies] == [(YOUR_NAME, 1)]
    pages = fake.requests_to("/sync/watched/shows")
    assert len(pages) == 2
    assert all(p.query["extended"] == "progress" for p in pages)


def test_user_settings_name_the_account_and_its_limits(client: TraktClient) -> None:
    user = client.user_settings()

    assert user.username == "fake-user"
    assert user.vip is False
    assert user.limits["watchlist"]["item_count"] == 100
    assert user.history_limit == 100_000  # Trakt sends none for history: the 2026 cap


# -- failures and retries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "html", "expected_wait"),
    [
        pytest.param("7", False, 7.0, id="retry-after-seconds"),
        pytest.param(None, False, None, id="no-retry-after"),
        pytest.param(None, True, None, id="cloudflare-html-page"),
    ],
)
def test_a_429_is_waited_out_then_the_read_succeeds(
    client: TraktClient,
    fake: FakeTrakt,
    clock: ManualClock,
    retry_after: str | None,
    html: bool,
    expected_wait: float | None,
) -> None:
    fake.fail_next(status=429, retry_after=retry_after, html=html, path="/search/*")

    [hit] = client.search_by_id("tmdb", 209867, TraktType.SHOW)

    assert hit.ids.trakt == FRIEREN
    assert len(fake.requests) == 2
    waits = [s for s in clock.sleeps if s > 0]
    assert len(waits) == 1
    if expected_wait is None:
        assert 0 < waits[0] <= 60
    else:
        assert waits[0] == expected_wait


@pytest.mark.parametrize(
    ("status", "html"),
    [
        pytest.param(500, False, id="500"),
        pytest.param(502, True, id="502-html"),
        pytest.param(503, False, id="503"),
        pytest.param(520, True, id="cloudflare-520"),
    ],
)
def test_a_server_error_on_a_read_is_retried(
    client: TraktClient, fake: FakeTrakt, status: int, html: bool
) -> None:
    fake.add_watched(FRIEREN, 1, 1)
    fake.fail_next(2, status=status, html=html, path="/sync/watched/shows")

    [show] = client.watched_shows()

    assert show.plays == {(1, 1): 1}
    assert len(fake.requests_to("/sync/watched/shows")) == 3


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 500}, id="500"),
        pytest.param({"status": 502, "html": True}, id="502-html"),
        pytest.param({"status": 522}, id="cloudflare-522"),
        pytest.param({"timeout": True}, id="timeout"),
    ],
)
def test_an_unclear_history_post_is_never_resent(
    client: TraktClient, fake: FakeTrakt, fault: dict[str, Any]
) -> None:
    fake.fail_next(path="/sync/history", **fault)

    with pytest.raises(UnclearWrite, match="may have been applied"):
        client.add_to_history(HistoryItems(shows=(frieren_plays(1, 2),)))

    assert len(history_posts(fake)) == 1
    assert fake.plays == []


def test_a_post_applied_before_the_timeout_is_in_the_history_exactly_once(
    client: TraktClient, fake: FakeTrakt
) -> None:
    fake.fail_next(timeout=True, after_apply=True, path="/sync/history")

    with pytest.raises(UnclearWrite):
        client.add_to_history(HistoryItems(shows=(frieren_plays(1, 2),)))
    [watched] = client.watched_shows()

    assert fake.history_counts() == Counter({(FRIEREN, 1, 1): 1, (FRIEREN, 1, 2): 1})
    assert watched.plays == {(1, 1): 1, (1, 2): 1}
    assert len(history_posts(fake)) == 1


@pytest.mark.parametrize(
    ("vip", "expected_vip"),
    [pytest.param("false", False, id="not-vip"), pytest.param("true", True, id="vip")],
)
def test_an_account_limit_is_reported_with_the_limit_and_not_retried(
    client: TraktClient, fake: FakeTrakt, vip: str, expected_vip: bool
) -> None:
    fake.fail_next(
        status=420,
        path="/sync/history",
        headers={"X-Account-Limit": "100", "X-VIP-User": vip},
    )

    with pytest.raises(AccountLimit, match="limit 100") as caught:
        client.add_to_history(HistoryItems(shows=(frieren_plays(1),)))

    assert (caught.value.limit, caught.value.vip) == ("100", expected_vip)
    assert len(fake.requests) == 1
    assert fake.plays == []


# -- pacing ---------------------------------------------------------------------------------


def test_writes_are_paced_one_per_second(
    client: TraktClient, fake: FakeTrakt, clock: ManualClock
) -> None:
    fake.enforce_rate_limits = True

    for n in range(1, 5):
        client.add_to_history(HistoryItems(shows=(frieren_plays(n),)))

    assert fake.rate_limited == 0
    added = sorted(datetime.fromisoformat(p.added_at) for p in fake.plays)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(added)]
    assert len(gaps) == 3
    assert all(gap >= 1.0 for gap in gaps)


def test_reads_are_paced_under_the_five_minute_window(
    client: TraktClient, fake: FakeTrakt, clock: ManualClock
) -> None:
    fake.enforce_rate_limits = True
    fake.get_limit = GET_LIMIT
    start = clock.monotonic()

    for _ in range(GET_LIMIT):
        client.user_settings()
    assert clock.monotonic() == start  # the budget itself costs no waiting
    client.user_settings()

    assert fake.rate_limited == 0
    assert clock.monotonic() - start >= GET_PERIOD_SECONDS


def test_catalog_reads_have_their_own_window_beside_the_users(
    client: TraktClient, fake: FakeTrakt, clock: ManualClock
) -> None:
    fake.enforce_rate_limits = True
    start = clock.monotonic()

    for _ in range(PUBLIC_GET_LIMIT):
        client.show(FRIEREN)
    for _ in range(GET_LIMIT):
        client.user_settings()

    assert clock.monotonic() == start, "a full user window does not slow catalog reads"
    assert fake.rate_limited == 0
    catalog = [r for r in fake.requests if r.path.startswith("/shows/")]
    assert len(catalog) == PUBLIC_GET_LIMIT
    assert all("authorization" not in r.headers for r in catalog)


def test_a_full_public_window_borrows_the_users_but_keeps_its_reserve(
    client: TraktClient, fake: FakeTrakt, clock: ManualClock
) -> None:
    fake.enforce_rate_limits = True
    start = clock.monotonic()
    borrowable = GET_LIMIT - USER_GET_RESERVE

    for _ in range(PUBLIC_GET_LIMIT + borrowable):
        client.seasons_with_episodes(FRIEREN)
    assert clock.monotonic() == start
    assert client.next_catalog_read_at() == start + GET_PERIOD_SECONDS
    for _ in range(USER_GET_RESERVE):
        client.user_settings()  # the reserve is still there for the person's own reads
    assert clock.monotonic() == start
    client.seasons_with_episodes(FRIEREN)

    assert clock.monotonic() == start + GET_PERIOD_SECONDS
    assert fake.rate_limited == 0
    seasons = [r for r in fake.requests if r.path.endswith("/seasons")]
    with_token = [r for r in seasons if "authorization" in r.headers]
    assert len(with_token) == borrowable
    assert (
        seasons[:PUBLIC_GET_LIMIT] == [r for r in seasons if r not in with_token][:PUBLIC_GET_LIMIT]
    ), "the public window is used first"


def test_writes_and_reads_say_when_they_may_go_next(
    client: TraktClient, fake: FakeTrakt, clock: ManualClock
) -> None:
    fake.enforce_rate_limits = True
    start = clock.monotonic()
    assert client.next_write_at() == client.next_catalog_read_at() == start

    client.add_to_history(HistoryItems(shows=(frieren_plays(1),)))
    client.show(FRIEREN)

    assert client.next_write_at() == start + 1
    assert client.next_catalog_read_at() == start
    assert fake.rate_limited == 0


# -- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("watched_at", "expected"),
    [
        pytest.param(
            datetime(2024, 5, 6, 7, 8, 59, 999999, tzinfo=UTC),
            "2024-05-06T07:08:00.000Z",
            id="to-the-minute-as-trakt-stores-it",
        ),
        pytest.param(
            datetime(2024, 5, 6, 9, 0, tzinfo=timezone(timedelta(hours=9))),
            "2024-05-06T00:00:00.000Z",
            id="tokyo-offset-to-utc",
        ),
        pytest.param(datetime(2024, 5, 6), "2024-05-06T00:00:00.000Z", id="naive-is-utc"),
    ],
)
def test_watched_at_is_sent_as_utc_iso(watched_at: datetime, expected: str) -> None:
    payload = HistoryItems(
        shows=(ShowPlays(TraktIds(trakt=1), (EpisodePlay(1, 1, watched_at),)),)
    ).to_payload()

    assert payload["shows"][0]["seasons"][0]["episodes"][0]["watched_at"] == expected


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        pytest.param(
            HistoryItems(shows=(ShowPlays(TraktIds(trakt=1), ()),)),
            "without explicit episodes",
            id="bare-show",
        ),
        pytest.param(
            HistoryItems(shows=(ShowPlays(TraktIds(), (EpisodePlay(1, 1, WATCHED),)),)),
            "at least one id",
            id="no-ids",
        ),
        pytest.param(
            HistoryItems(shows=(ShowPlays(TraktIds(trakt=1), (EpisodePlay(-1, 1, WATCHED),)),)),
            "invalid episode",
            id="negative-season",
        ),
    ],
)
def test_payloads_that_would_hurt_are_refused(items: HistoryItems, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        items.to_payload()


def test_plays_of_one_show_merge_and_exact_duplicates_are_sent_once() -> None:
    later = WATCHED + timedelta(days=1)
    items = HistoryItems(
        shows=(
            ShowPlays(TraktIds(trakt=1), (EpisodePlay(1, 2, WATCHED), EpisodePlay(1, 1, WATCHED))),
            ShowPlays(TraktIds(trakt=1), (EpisodePlay(1, 1, WATCHED), EpisodePlay(1, 1, later))),
        ),
        movies=(MoviePlay(TraktIds(trakt=9), WATCHED), MoviePlay(TraktIds(trakt=9), WATCHED)),
    )

    payload = items.to_payload()

    [show] = payload["shows"]
    assert [(e["number"], e["watched_at"][:10]) for e in show["seasons"][0]["episodes"]] == [
        (1, "2024-01-02"),
        (1, "2024-01-03"),
        (2, "2024-01-02"),
    ]
    assert len(payload["movies"]) == 1


def test_token_repr_hides_the_tokens() -> None:
    text = repr(TokenSet("access-secret-value", "refresh-secret-value", 1.0))

    assert "secret-value" not in text


# -- end to end -------------------------------------------------------------------------------


def test_end_to_end_against_a_real_fake_server(
    sessions: sessionmaker[Session], store: SqlTokenStore
) -> None:
    fake = catalog(FakeTrakt(in_process=False))
    access, refresh = fake.issue_tokens()
    with sessions.begin() as session:
        save_tokens(session, TokenSet(access, refresh))

    with serve_in_thread(fake.app) as url:
        settings = make_settings(trakt_api_url=url, trakt_auth_url=url)
        with TraktClient.from_settings(settings, store) as client:
            [hit] = client.search_by_id("tmdb", 209867, TraktType.SHOW)
            result = client.add_to_history(
                HistoryItems(shows=(ShowPlays(hit.ids, (EpisodePlay(1, 1, WATCHED),)),))
            )

    assert result.added_episodes == 1
    assert fake.history_counts() == Counter({(FRIEREN, 1, 1): 1})
    assert fake.bare_show_posts == 0
