"""Ratings, the watchlist, dropped shows and per-item history against the fake Trakt.

The same set-up as test_trakt_client.py: in-process, a ManualClock shared with the
fake, the token store on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker
from test_trakt_client import AOT, API_HOST, AUTH_HOST, FRIEREN, YOUR_NAME, catalog, make_settings

from anitrakt.clients.trakt import TraktClient
from anitrakt.clients.trakt_lists import TraktLists
from anitrakt.domain.trakt import (
    EpisodePlay,
    HistoryItems,
    MoviePlay,
    ShowPlays,
    TokenSet,
    TraktIds,
)
from anitrakt.domain.trakt_lists import (
    HistoryPlay,
    ItemRef,
    RatingKind,
    RatingPost,
    RatingTarget,
    TraktRating,
)
from anitrakt.domain.values import TraktType
from anitrakt.errors import AccountLimit
from anitrakt.store.tokens import SqlTokenStore, save_tokens
from clocks import ManualClock
from fakes.trakt import FakeTrakt
from fakes.transport import SyncASGITransport

RATED = datetime(2024, 5, 6, 7, 8, tzinfo=UTC)
UNKNOWN = 424242


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> FakeTrakt:
    return catalog(FakeTrakt(clock=clock.time, api_host=API_HOST, auth_host=AUTH_HOST))


@pytest.fixture
def trakt(
    fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> Iterator[TraktClient]:
    access, refresh = fake.issue_tokens()
    with sessions.begin() as session:
        save_tokens(session, TokenSet(access, refresh, expires_at=clock.time() + 604_800))
    with TraktClient.from_settings(
        make_settings(), SqlTokenStore(sessions), clock=clock, transport=SyncASGITransport(fake.app)
    ) as built:
        yield built


@pytest.fixture
def lists(trakt: TraktClient) -> TraktLists:
    return TraktLists(trakt)


SHOW = RatingTarget(RatingKind.SHOW, FRIEREN)
SEASON = RatingTarget(RatingKind.SEASON, AOT, 2)
MOVIE = RatingTarget(RatingKind.MOVIE, YOUR_NAME)


def test_ratings_are_read_as_show_season_and_movie_targets(
    fake: FakeTrakt, lists: TraktLists
) -> None:
    fake.add_rating("show", FRIEREN, 9, rated_at="2024-01-01T00:00:00.000Z")
    fake.add_rating("season", AOT, 7, season=2)
    fake.add_rating("movie", YOUR_NAME, 10)

    found = {r.target: r for r in lists.ratings()}

    assert {t: r.rating for t, r in found.items()} == {SHOW: 9, SEASON: 7, MOVIE: 10}
    assert found[SHOW] == TraktRating(SHOW, 9, datetime(2024, 1, 1, tzinfo=UTC))


def test_every_page_of_ratings_is_read(fake: FakeTrakt, lists: TraktLists) -> None:
    for n in range(1, 251):
        fake.add_movie(10_000 + n, f"Movie {n}")
        fake.add_rating("movie", 10_000 + n, 5)

    assert len(lists.ratings()) == 250
    pages = [r.query.get("page") for r in fake.requests_to("/sync/ratings", "GET")]
    assert pages == ["1", "2", "3"]


def test_rating_writes_a_season_inside_its_show(fake: FakeTrakt, lists: TraktLists) -> None:
    result = lists.rate(
        [RatingPost(SHOW, 8, RATED), RatingPost(SEASON, 6, RATED), RatingPost(MOVIE, 9, RATED)]
    )

    assert result.ratings_not_found == frozenset()
    assert fake.ratings == {
        ("show", FRIEREN, None): 8,
        ("season", AOT, 2): 6,
        ("movie", YOUR_NAME, None): 9,
    }
    (post,) = fake.requests_to("/sync/ratings", "POST")
    at = "2024-05-06T07:08:00.000Z"
    assert post.json["shows"] == [
        {"ids": {"trakt": FRIEREN}, "rating": 8, "rated_at": at},
        {"ids": {"trakt": AOT}, "seasons": [{"number": 2, "rating": 6, "rated_at": at}]},
    ]


def test_ratings_trakt_cannot_find_come_back(fake: FakeTrakt, lists: TraktLists) -> None:
    missing = [
        RatingPost(RatingTarget(RatingKind.SHOW, UNKNOWN), 8, RATED),
        RatingPost(RatingTarget(RatingKind.SEASON, FRIEREN, 7), 8, RATED),
        RatingPost(RatingTarget(RatingKind.MOVIE, UNKNOWN), 8, RATED),
    ]

    result = lists.rate([*missing, RatingPost(SHOW, 8, RATED)])

    assert result.ratings_not_found == {p.target for p in missing}
    assert fake.ratings == {("show", FRIEREN, None): 8}


def test_a_rating_past_the_cap_is_an_account_limit_and_applies_nothing(
    fake: FakeTrakt, lists: TraktLists
) -> None:
    fake.ratings_limit = 1
    fake.add_rating("movie", YOUR_NAME, 4)

    with pytest.raises(AccountLimit) as caught:
        lists.rate([RatingPost(SHOW, 8, RATED), RatingPost(MOVIE, 9, RATED)])

    assert caught.value.limit == "1"
    assert fake.ratings == {("movie", YOUR_NAME, None): 4}
    assert len(fake.requests_to("/sync/ratings", "POST")) == 1  # a 420 is never retried


def test_the_watchlist_is_read_added_to_and_taken_from(fake: FakeTrakt, lists: TraktLists) -> None:
    show, movie = ItemRef(TraktType.SHOW, FRIEREN), ItemRef(TraktType.MOVIE, YOUR_NAME)
    unknown = ItemRef(TraktType.SHOW, UNKNOWN)

    assert lists.add_to_watchlist([show, movie, unknown]).not_found == {unknown}
    listed = lists.watchlist()
    assert listed.items == {show, movie}
    assert listed.count == 2

    lists.remove_from_watchlist([movie])
    assert fake.watchlist == [("show", FRIEREN)]


def test_a_watchlist_past_its_cap_is_an_account_limit(fake: FakeTrakt, lists: TraktLists) -> None:
    fake.watchlist_limit = 1
    fake.add_to_watchlist("show", AOT)

    with pytest.raises(AccountLimit, match="limit 1"):
        lists.add_to_watchlist([ItemRef(TraktType.SHOW, FRIEREN)])
    assert fake.watchlist == [("show", AOT)]


def test_list_writes_are_resent_after_a_server_error(fake: FakeTrakt, lists: TraktLists) -> None:
    fake.fail_next(1, status=502, path="/sync/watchlist", method="POST", after_apply=True)

    lists.add_to_watchlist([ItemRef(TraktType.SHOW, FRIEREN)])

    assert fake.watchlist == [("show", FRIEREN)]  # safe to resend: Trakt lists an item once
    assert len(fake.requests_to("/sync/watchlist", "POST")) == 2


def test_dropped_shows_are_read_dropped_and_undropped(fake: FakeTrakt, lists: TraktLists) -> None:
    fake.drop_show(AOT)
    frieren, film = ItemRef(TraktType.SHOW, FRIEREN), ItemRef(TraktType.MOVIE, YOUR_NAME)

    assert lists.drop([frieren, film]).not_found == {film}  # Trakt drops shows only
    assert lists.dropped().items == {frieren, ItemRef(TraktType.SHOW, AOT)}

    lists.undrop([ItemRef(TraktType.SHOW, AOT)])
    assert fake.dropped_shows == {FRIEREN}


def test_the_plays_of_one_item_every_page(
    fake: FakeTrakt, trakt: TraktClient, lists: TraktLists
) -> None:
    for number in range(1, 29):
        fake.add_watched(FRIEREN, 1, number, watched_at="2024-01-01T10:00:30.000Z", plays=5)
    fake.add_watched(AOT, 1, 1)
    trakt.add_to_history(
        HistoryItems(
            shows=(ShowPlays(TraktIds(trakt=FRIEREN), (EpisodePlay(1, 3, RATED),)),),
            movies=(MoviePlay(TraktIds(trakt=YOUR_NAME), RATED),),
        )
    )

    plays = lists.plays_of(ItemRef(TraktType.SHOW, FRIEREN))

    assert len(plays) == 28 * 5 + 1
    assert HistoryPlay(1, 3, RATED) in plays
    assert HistoryPlay(1, 1, datetime(2024, 1, 1, 10, 0, tzinfo=UTC)) in plays  # to the minute
    assert lists.plays_of(ItemRef(TraktType.MOVIE, YOUR_NAME)) == [HistoryPlay(None, None, RATED)]
