"""The fake Trakt's ratings, watchlist, dropped shows and per-item history, held to Trakt.

Part 1 compares every answer the beyond-history client reads with the recorded or
documented body of the same endpoint in `../shared/data/upstream/trakt/` (the method of
test_fake_trakt_contract.py: same keys, same JSON types, differences listed with the
reason). Dropped shows have no recorded body anywhere; their shapes are held to Trakt's
own contract (trakt/trakt-api, cited in tests/fakes/trakt/hidden.py) key by key.
Part 2 is the behaviour the sync relies on: caps answered with 420, idempotent adds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from test_fake_trakt_contract import (
    TVRAGE,
    Env,
    contract_fake,
    has_path,
    make_env,
    pytrakt,
    shape_diff,
    trakt_py,
    traktkit,
)

from clocks import ManualClock
from fakes.trakt import FakeTrakt

# Evidence for keys the fake adds.
TYPED = "Trakt's contract requires `type` on every rating item (syncRatingItemResponseSchema)"
SEASON_TRAKT_ID = "trakt.py's later docs example (sync/ratings/seasons.json) has season ids.trakt"
LISTED = "Trakt's contract lists `rank` and `id` on watchlist items (syncListItemResponseSchema)"
NOTES = "watchlist items carry the person's `notes` (contract watchlist.add: `notes`, VIP)"
LIST = "Trakt's contract answers list writes with `list` (listAdd/listRemoveResponseSchema)"
EXISTING = "pytrakt's 2016 example predates `existing` (pytrakt sync.json watchlist POST has it)"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def seeded(clock: ManualClock) -> FakeTrakt:
    """The contract catalog, with a rating of each kind, a watchlist and a dropped show."""
    fake = contract_fake(clock)
    fake.add_rating("show", 1388, 10, rated_at="2014-09-01T09:10:11.000Z")
    fake.add_rating("season", 1390, 8, season=1, rated_at="2014-09-01T09:10:11.000Z")
    fake.add_rating("movie", 12601, 10, rated_at="2014-09-01T09:10:11.000Z")
    fake.add_to_watchlist("show", 1388)
    fake.add_to_watchlist("movie", 12601)
    fake.drop_show(1969)
    return fake


@pytest.fixture
def env(clock: ManualClock) -> Iterator[Env]:
    with make_env(seeded(clock), clock) as environment:
        yield environment


def post(env: Env, path: str, body: dict[str, Any], status: int) -> Any:
    response = env.api.post(path, json=body)
    assert response.status_code == status, (path, response.status_code, response.headers)
    return response.json()


def post_ratings(env: Env) -> Any:
    movies = [{"ids": {"trakt": 228}, "rating": 10}, {"ids": {"imdb": "tt0000111"}, "rating": 10}]
    shows = [{"ids": {"trakt": 1390}, "seasons": [{"number": 2, "rating": 9}]}]
    body = {"movies": movies, "shows": shows}
    return post(env, "/sync/ratings", body, 201)


def post_watchlist(env: Env) -> Any:
    body = {"movies": [{"ids": {"trakt": 228}}, {"ids": {"imdb": "tt0000111"}}]}
    return post(env, "/sync/watchlist", body, 201)


def remove_watchlist(env: Env) -> Any:
    body = {"movies": [{"ids": {"trakt": 12601}}, {"ids": {"imdb": "tt0000111"}}]}
    return post(env, "/sync/watchlist/remove", body, 200)


def of_type(kind: str, items: Any) -> list[Any]:
    return [item for item in items if item.get("type") == kind]


@dataclass(frozen=True)
class Contract:
    recorded: Callable[[], Any]
    fetch: Callable[[Env], Any]
    omitted: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    reads: tuple[str, ...] = ()


SHOW_IDS = {"$[].show.ids.tvrage": TVRAGE}
NOT_FOUND_READS = ("$.not_found.movies", "$.not_found.shows")

CONTRACTS = [
    # The one ratings read the client makes is GET /sync/ratings (every type): each type's
    # items against the same docs example's items of that type.
    pytest.param(
        Contract(
            lambda: of_type("movie", trakt_py("sync/ratings.json")),
            lambda env: of_type("movie", env.get("/sync/ratings")),
            reads=("$[].rating", "$[].type", "$[].movie.ids.trakt"),
        ),
        id="ratings-all:movie",
    ),
    pytest.param(
        Contract(
            lambda: of_type("show", trakt_py("sync/ratings.json")),
            lambda env: of_type("show", env.get("/sync/ratings")),
            omitted=SHOW_IDS,
            reads=("$[].rating", "$[].type", "$[].show.ids.trakt"),
        ),
        id="ratings-all:show",
    ),
    pytest.param(
        Contract(
            lambda: of_type("season", trakt_py("sync/ratings.json")),
            lambda env: of_type("season", env.get("/sync/ratings")),
            omitted={**SHOW_IDS, "$[].season.ids.tvrage": TVRAGE},
            extra={"$[].season.ids.trakt": SEASON_TRAKT_ID},
            reads=("$[].rating", "$[].type", "$[].season.number", "$[].show.ids.trakt"),
        ),
        id="ratings-all:season",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Sync/test_get_ratings.json"),
            lambda env: env.get("/sync/ratings/movies"),
            reads=("$[].rating", "$[].movie.ids.trakt"),
        ),
        id="ratings-movies",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("sync.json", "sync/ratings/shows"),
            lambda env: env.get("/sync/ratings/shows"),
            omitted=SHOW_IDS,
        ),
        id="ratings-shows-docs",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("sync/ratings/shows.json"),
            lambda env: env.get("/sync/ratings/shows"),
            omitted=SHOW_IDS,
            extra={"$[].type": TYPED},
        ),
        id="ratings-shows-2015",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("sync.json", "sync/ratings/seasons"),
            lambda env: env.get("/sync/ratings/seasons"),
            omitted={**SHOW_IDS, "$[].season.ids.tvrage": TVRAGE},
            extra={"$[].season.ids.trakt": SEASON_TRAKT_ID},
            reads=("$[].season.number", "$[].show.ids.trakt"),
        ),
        id="ratings-seasons-docs",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("sync/ratings/seasons.json"),
            lambda env: env.get("/sync/ratings/seasons"),
            omitted={**SHOW_IDS, "$[].season.ids.tvrage": TVRAGE},
            extra={"$[].type": TYPED},
        ),
        id="ratings-seasons-2015",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Sync/test_add_new_ratings.json"),
            post_ratings,
            reads=NOT_FOUND_READS,
        ),
        id="ratings-post",
    ),
    pytest.param(
        Contract(lambda: pytrakt("sync.json", "sync/ratings", "POST"), post_ratings),
        id="ratings-post-2016",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("sync.json", "sync/watchlist/shows"),
            lambda env: env.get("/sync/watchlist/shows"),
            omitted=SHOW_IDS,
            extra={"$[].rank": LISTED, "$[].id": LISTED, "$[].notes": NOTES},
            reads=("$[].type", "$[].show.ids.trakt"),
        ),
        id="watchlist-shows",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("sync.json", "sync/watchlist/movies"),
            lambda env: env.get("/sync/watchlist/movies"),
            extra={"$[].rank": LISTED, "$[].id": LISTED, "$[].notes": NOTES},
            reads=("$[].type", "$[].movie.ids.trakt"),
        ),
        id="watchlist-movies",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("sync.json", "sync/watchlist", "POST"),
            post_watchlist,
            extra={"$.list": LIST},
            reads=NOT_FOUND_READS,
        ),
        id="watchlist-post",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("sync.json", "sync/watchlist/remove", "POST"),
            remove_watchlist,
            extra={"$.list": LIST},
            reads=NOT_FOUND_READS,
        ),
        id="watchlist-remove",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("sync/history/shows.json"),
            lambda env: env.get("/sync/history/shows/1390"),
            omitted={**SHOW_IDS, "$[].episode.ids.tvrage": TVRAGE},
            reads=("$[].watched_at", "$[].episode.season", "$[].episode.number"),
        ),
        id="history-of-a-show",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("sync/history/movies.json"),
            lambda env: env.get("/sync/history/movies/228"),
            reads=("$[].watched_at", "$[].type"),
        ),
        id="history-of-a-movie",
    ),
]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_the_fake_answers_like_trakt(env: Env, contract: Contract) -> None:
    recorded = contract.recorded()
    answer = contract.fetch(env)
    assert answer, "the fake answered nothing to compare"

    diffs = shape_diff(answer, recorded)
    types = [path for kind, path in diffs if kind == "type"]
    missing = [p for kind, p in diffs if kind == "only-recorded" and p not in contract.omitted]
    invented = [p for kind, p in diffs if kind == "only-fake" and p not in contract.extra]
    assert (types, missing, invented) == ([], [], []), "types / missing keys / invented keys"
    assert all(has_path(answer, path) for path in contract.reads), [
        path for path in contract.reads if not has_path(answer, path)
    ]
    # Every listed difference is still real, so the lists cannot rot.
    listed = {p for kind, p in diffs if kind != "type"}
    assert set(contract.omitted) | set(contract.extra) <= listed


def test_dropped_shows_answer_with_trakts_contract_shapes(env: Env) -> None:
    (item,) = env.get("/users/hidden/dropped")
    assert set(item) == {"hidden_at", "type", "show"}  # hiddenShowResponseSchema
    assert item["type"] == "show"
    assert set(item["show"]) == {"title", "year", "ids"}

    body = {"shows": [{"ids": {"trakt": 1388}}], "movies": [{"ids": {"trakt": 228}}]}
    added = post(env, "/users/hidden/dropped", body, 200)
    assert added["added"] == {"movies": 0, "shows": 1, "season": 0}  # `season`, singular
    assert added["not_found"] == {
        "movies": [{"ids": {"trakt": 228}}],
        "shows": [],
        "seasons": [],
        "episodes": [],
    }

    removed = post(env, "/users/hidden/dropped/remove", {"shows": [{"ids": {"trakt": 1969}}]}, 200)
    assert set(removed) == {"deleted", "not_found"}  # hiddenRemoveResponseSchema
    assert set(removed["deleted"]) == {"movies", "episodes"}
    assert env.fake.dropped_shows == {1388}


def test_the_dropped_list_is_paginated_ten_a_page(env: Env) -> None:
    for trakt_id in (1390, 1388, 2273):
        env.fake.drop_show(trakt_id)
    response = env.api.get("/users/hidden/dropped", params={"limit": 2, "page": 2})
    assert response.headers["X-Pagination-Item-Count"] == "4"
    assert response.headers["X-Pagination-Page-Count"] == "2"
    assert len(response.json()) == 2


# -- part 2: behaviour ------------------------------------------------------------------


def refused(response: httpx.Response, limit: str) -> None:
    assert response.status_code == 420
    assert response.headers["X-Account-Limit"] == limit
    assert response.headers["X-VIP-User"] == "false"


def test_a_watchlist_post_past_the_cap_is_a_420_and_applies_nothing(env: Env) -> None:
    env.fake.watchlist_limit = 3
    body = {"shows": [{"ids": {"trakt": 1390}}, {"ids": {"trakt": 1969}}]}

    refused(env.api.post("/sync/watchlist", json=body), "3")

    assert env.fake.watchlist == [("show", 1388), ("movie", 12601)]
    assert env.fake.over_limit_posts == 1
    settings = env.get("/users/settings")
    assert settings["limits"]["watchlist"] == {"item_count": 3}


def test_the_reported_watchlist_cap_may_differ_from_the_enforced_one(env: Env) -> None:
    env.fake.watchlist_limit, env.fake.watchlist_limit_reported = 2, 250
    assert env.get("/users/settings")["limits"]["watchlist"] == {"item_count": 250}
    refused(env.api.post("/sync/watchlist", json={"shows": [{"ids": {"trakt": 1390}}]}), "2")


def test_adding_what_is_listed_is_existing_not_added(env: Env) -> None:
    answer = post(env, "/sync/watchlist", {"shows": [{"ids": {"trakt": 1388}}]}, 201)
    assert answer["added"]["shows"] == 0
    assert answer["existing"]["shows"] == 1
    assert env.fake.watchlist == [("show", 1388), ("movie", 12601)]


def test_a_ratings_post_past_the_cap_is_a_420_and_a_bad_rating_a_422(env: Env) -> None:
    env.fake.ratings_limit = 3
    refused(
        env.api.post("/sync/ratings", json={"movies": [{"ids": {"trakt": 228}, "rating": 7}]}), "3"
    )
    # Changing a rating adds none: within the cap.
    post(env, "/sync/ratings", {"movies": [{"ids": {"trakt": 12601}, "rating": 7}]}, 201)
    bad = env.api.post("/sync/ratings", json={"shows": [{"ids": {"trakt": 1388}, "rating": 11}]})
    assert bad.status_code == 422
    assert env.fake.ratings == {
        ("show", 1388, None): 10,
        ("season", 1390, 1): 8,
        ("movie", 12601, None): 7,
    }  # fmt: skip


def test_a_season_the_show_lacks_is_not_found_as_its_show(env: Env) -> None:
    body = {"shows": [{"ids": {"trakt": 1388}, "seasons": [{"number": 9, "rating": 5}]}]}
    answer = post(env, "/sync/ratings", body, 201)
    assert answer["not_found"]["seasons"] == [
        {"ids": {"trakt": 1388}, "seasons": [{"number": 9, "rating": 5}]}
    ]
