"""The fake Trakt held to Trakt's recorded and documented bodies, and its own behaviour.

Part 1, contract: every endpoint the fake serves is requested from the fake and its JSON
compared with the fixture for the same endpoint in `../shared/data/upstream/trakt/`:
the same keys at every level and the same JSON types. `null` on either side matches any
type (the fixtures themselves use null for ids Trakt lacks). A fixture key the fake
leaves out must be listed in `omitted` with the reason; a key the fake adds must be
listed in `extra` with the evidence; the keys the client reads are listed in `reads` and
must be present. Skipped, with the reason, when the shared data is absent.

Part 2, behaviour: what the Trakt client's tests rely on — no dedupe of plays,
`not_found`, bare posts, single-use refresh tokens, the device-flow statuses, host
separation, header checks and every `fail_next` variant.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from clocks import ManualClock
from fakes.server import serve_in_thread
from fakes.trakt import FakeEpisode, FakeTrakt, Play
from fakes.transport import SyncASGITransport
from paths import SHARED_DATA

UPSTREAM = SHARED_DATA / "upstream"
API_HOST = "api.trakt.test"
AUTH_HOST = "auth.trakt.test"
CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
OOB = "urn:ietf:wg:oauth:2.0:oob"
API_HEADERS = {"trakt-api-key": CLIENT_ID, "trakt-api-version": "2"}

# Reasons for keys the fixtures have and the fake leaves out.
TVRAGE = "TVRage closed in 2014; Trakt no longer fills the id and nothing reads it"
MINIMAL = "a docs example of an older search result; minimal objects carry title/year/ids"
IMAGES = "images moved to extended=images in 2016; nothing reads them"
# Evidence for keys the fake adds.
RESET_AT = "live /sync/watched/shows answers carry reset_at (traktkit noseasons fixture)"
LAST_UPDATED = "current answers carry last_updated_at (traktkit watched-shows fixture)"
PEOPLE = "the current docs example of the same endpoint (traktkit) has not_found.people"


# -- shared data --------------------------------------------------------------------------


def load(*parts: str) -> Any:
    path = UPSTREAM.joinpath("trakt", *parts)
    if not path.is_file():
        pytest.skip(f"shared upstream data is absent ({path} not found); contract not checked")
    return json.loads(path.read_text(encoding="utf-8"))


def trakt_py(path: str) -> Any:
    return load("trakt.py", "api.trakt.tv", *path.split("/"))


def traktkit(path: str) -> Any:
    return load("traktkit", *path.split("/"))


def pytrakt(file: str, key: str, method: str = "GET") -> Any:
    return load("pytrakt", file)[key][method]


# -- shape comparison ---------------------------------------------------------------------


def json_type(value: Any) -> str | None:
    """The JSON type of a value; None for null, which matches any type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def shape_diff(fake: Any, recorded: Any, path: str = "$") -> list[tuple[str, str]]:
    """(kind, path) for each difference: `only-fake`, `only-recorded` or `type`."""
    fake_type, recorded_type = json_type(fake), json_type(recorded)
    if fake_type is None or recorded_type is None:
        return []
    if fake_type != recorded_type:
        return [("type", f"{path} (fake {fake_type}, recorded {recorded_type})")]
    if fake_type == "object":
        diffs = [("only-fake", f"{path}.{key}") for key in sorted(fake.keys() - recorded.keys())]
        diffs += [
            ("only-recorded", f"{path}.{key}") for key in sorted(recorded.keys() - fake.keys())
        ]
        for key in sorted(fake.keys() & recorded.keys()):
            diffs += shape_diff(fake[key], recorded[key], f"{path}.{key}")
        return diffs
    if fake_type == "array" and recorded:
        # Every fake element against the first recorded one: arrays are homogeneous here.
        return sorted(
            {d for element in fake for d in shape_diff(element, recorded[0], f"{path}[]")}
        )
    return []


def has_path(doc: Any, path: str) -> bool:
    """`$[].episodes[].ids.trakt`: present in every element of every (non-empty) array."""

    def walk(node: Any, tokens: list[str]) -> bool:
        if not tokens:
            return True
        head, rest = tokens[0], tokens[1:]
        if head == "[]":
            return isinstance(node, list) and bool(node) and all(walk(n, rest) for n in node)
        return isinstance(node, dict) and head in node and walk(node[head], rest)

    return walk(doc, re.findall(r"\[\]|[^.\[\]$]+", path))


# -- environments -------------------------------------------------------------------------


@dataclass
class Env:
    """A fake with in-process clients for both hosts and a valid token pair."""

    fake: FakeTrakt
    clock: ManualClock
    api: httpx.Client
    auth: httpx.Client
    token: str
    refresh: str

    def get(self, path: str, **params: str) -> Any:
        response = self.api.get(path, params=params)
        assert response.status_code == 200, (path, response.status_code, response.headers)
        return response.json()

    def history(self, body: dict[str, Any]) -> httpx.Response:
        return self.api.post("/sync/history", json=body)

    def oauth(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.auth.post(path, json=body)


@contextmanager
def make_env(fake: FakeTrakt, clock: ManualClock) -> Iterator[Env]:
    token, refresh = fake.issue_tokens()
    transport = SyncASGITransport(fake.app)
    headers = {**API_HEADERS, "Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=f"http://{API_HOST}", transport=transport, headers=headers) as api,
        httpx.Client(base_url=f"http://{AUTH_HOST}", transport=transport) as auth,
    ):
        yield Env(fake, clock, api, auth, token, refresh)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> FakeTrakt:
    """An anime catalog: a plain show, an absolutely numbered long runner and a movie."""
    trakt = FakeTrakt(clock=clock.time, api_host=API_HOST, auth_host=AUTH_HOST)
    trakt.add_show(100, "Sousou no Frieren", year=2023, tmdb=209867, seasons={0: 2, 1: 28})
    trakt.add_show(
        200,
        "Long Runner",
        tvdb=81797,
        seasons={
            1: 3,
            15: [
                FakeEpisode(n, number_abs=n, first_aired="2005-01-01T00:00:00.000Z")
                for n in (326, 327, 328)
            ],
        },
    )
    trakt.add_movie(300, "Suzume", year=2022, tmdb=916224, imdb="tt16428256")
    return trakt


@pytest.fixture
def env(fake: FakeTrakt, clock: ManualClock) -> Iterator[Env]:
    with make_env(fake, clock) as environment:
        yield environment


def contract_fake(clock: ManualClock) -> FakeTrakt:
    """The fixtures' own shows and movies, so each answer is for the same item."""
    fake = FakeTrakt(clock=clock.time, api_host=API_HOST, auth_host=AUTH_HOST)
    specials = [
        FakeEpisode(n, tvdb=3226240 + n, tmdb=63086 + n, imdb="", first_aired=None)
        for n in range(1, 11)
    ]
    season_one = [
        FakeEpisode(
            n,
            number_abs=n,
            title=f"Episode {n}",
            tvdb=3254640 + n,
            tmdb=63055 + n,
            imdb=f"tt{1480054 + n}",
            first_aired="2011-04-18T01:00:00.000Z",
        )
        for n in range(1, 11)
    ]
    fake.add_show(
        1390,
        "Game of Thrones",
        slug="game-of-thrones",
        year=2011,
        tvdb=121361,
        imdb="tt0944947",
        tmdb=1399,
        seasons={0: specials, 1: season_one, 2: 10},
    )
    pilot = FakeEpisode(1, title="Pilot", tvdb=349232, imdb="tt0959621", tmdb=62085)
    fake.add_show(
        1388,
        "Breaking Bad",
        year=2008,
        tvdb=81189,
        imdb="tt0903747",
        tmdb=1396,
        seasons={1: [pilot]},
    )
    fake.add_show(1969, "Wonderfalls", year=2004, tvdb=78845, imdb="tt0361256", tmdb=1982)
    fake.add_show(2273, "Batman", year=1966, tvdb=77871, imdb="tt0059968", tmdb=2287)
    fake.add_movie(12601, "TRON: Legacy", year=2010, tmdb=20526, imdb="tt1104001")
    fake.add_movie(228, "Batman Begins", year=2005, tmdb=272, imdb="tt0372784")
    fake.add_watched(1390, 1, 1, watched_at="2014-10-11T17:00:54.000Z")
    fake.add_watched(1390, 1, 2, watched_at="2014-10-11T17:00:54.000Z", plays=2)
    fake.add_watched(1390, 0, 1, watched_at="2014-10-11T17:00:54.000Z")
    fake.add_watched_movie(228, watched_at="2014-10-11T17:00:54.000Z", plays=4)
    return fake


@pytest.fixture
def contract_env(clock: ManualClock) -> Iterator[Env]:
    with make_env(contract_fake(clock), clock) as environment:
        yield environment


# -- part 1: contract ---------------------------------------------------------------------


def exchange_code(env: Env) -> Any:
    body = {
        "grant_type": "authorization_code",
        "code": env.fake.create_authorization_code(),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": OOB,
    }
    response = env.oauth("/oauth/token", body)
    assert response.status_code == 200
    return response.json()


def refresh_tokens(env: Env) -> Any:
    body = {
        "grant_type": "refresh_token",
        "refresh_token": env.refresh,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": OOB,
    }
    response = env.oauth("/oauth/token", body)
    assert response.status_code == 200
    return response.json()


def device_code(env: Env) -> Any:
    response = env.oauth("/oauth/device/code", {"client_id": CLIENT_ID})
    assert response.status_code == 200
    return response.json()


def device_token(env: Env) -> Any:
    code = device_code(env)
    env.fake.approve_device(code["user_code"])
    body = {"code": code["device_code"], "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    response = env.oauth("/oauth/device/token", body)
    assert response.status_code == 200
    return response.json()


def post_history(env: Env) -> Any:
    body = {
        "movies": [
            {"ids": {"trakt": 12601}, "watched_at": "2014-09-01T09:10:11.000Z"},
            {"ids": {"imdb": "tt0000111"}},
        ],
        "shows": [
            {"ids": {"trakt": 1390}, "seasons": [{"number": 1, "episodes": [{"number": 3}]}]}
        ],
    }
    response = env.history(body)
    assert response.status_code == 201
    return response.json()


def full_seasons_and_episodes(env: Env) -> Any:
    return env.get("/shows/1390/seasons", extended="full,episodes")


@dataclass(frozen=True)
class Contract:
    recorded: Callable[[], Any]
    fetch: Callable[[Env], Any]
    omitted: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    reads: tuple[str, ...] = ()


SHOW_READS = ("$[].type", "$[].show.ids.trakt", "$[].show.title", "$[].show.year")
SEASON_READS = ("$[].number", "$[].ids.trakt", "$[].episodes[].season", "$[].episodes[].number")
EPISODE_READS = ("$[].season", "$[].number", "$[].number_abs", "$[].ids.trakt")
WATCHED_READS = (
    "$[].show.ids.trakt",
    "$[].seasons[].number",
    "$[].seasons[].episodes[].number",
    "$[].seasons[].episodes[].plays",
)
TOKEN_READS = ("$.access_token", "$.refresh_token", "$.expires_in", "$.created_at")

CONTRACTS = [
    pytest.param(
        Contract(
            lambda: trakt_py("search/imdb/tt0903747/#extended/full.json"),
            lambda env: env.get("/search/imdb/tt0903747", extended="full"),
            omitted={"$[].show.ids.tvrage": TVRAGE},
            reads=SHOW_READS,
        ),
        id="search-id-show-recorded",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("search.json", "search/tvdb/78845?type=show"),
            lambda env: env.get("/search/tvdb/78845", type="show"),
            omitted={"$[].show.ids.tvrage": TVRAGE},
            reads=SHOW_READS,
        ),
        id="search-id-show-docs",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Search/test_id_lookup.json"),
            lambda env: env.get("/search/tmdb/20526", type="movie"),
            reads=("$[].type", "$[].movie.ids.trakt", "$[].movie.title"),
        ),
        id="search-id-movie",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("search/imdb/tt0959621/#extended/full.json"),
            lambda env: env.get("/search/imdb/tt0959621", extended="full"),
            omitted={"$[].episode.ids.tvrage": TVRAGE, "$[].show.ids.tvrage": TVRAGE},
        ),
        id="search-id-episode-recorded",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("search.json", "search/show?query=batman"),
            lambda env: env.get("/search/show", query="batman"),
            omitted={
                "$[].show.images": IMAGES,
                "$[].show.overview": MINIMAL,
                "$[].show.status": MINIMAL,
                "$[].show.ids.tvrage": TVRAGE,
            },
            reads=SHOW_READS,
        ),
        id="search-text-show",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("shows/1390.json"),
            lambda env: env.get("/shows/1390", extended="full"),
            omitted={"$.ids.tvrage": TVRAGE},
            reads=("$.ids.trakt", "$.ids.slug", "$.title", "$.year"),
        ),
        id="show-summary-recorded",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Seasons/test_get_all_seasons.json"),
            lambda env: env.get("/shows/1390/seasons"),
            reads=("$[].number", "$[].ids.trakt"),
        ),
        id="seasons",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Seasons/test_get_all_seasons_and_episodes.json"),
            lambda env: env.get("/shows/1390/seasons", extended="episodes"),
            reads=SEASON_READS,
        ),
        id="seasons-episodes-docs",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("shows/1390/seasons.json"),
            lambda env: env.get("/shows/1390/seasons", extended="episodes"),
            omitted={"$[].ids.tvrage": TVRAGE, "$[].episodes[].ids.tvrage": TVRAGE},
            reads=SEASON_READS,
        ),
        id="seasons-episodes-recorded",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("seasons.json", "shows/game-of-thrones/seasons?extended=full"),
            lambda env: env.get("/shows/game-of-thrones/seasons", extended="full"),
            omitted={"$[].ids.tvrage": TVRAGE},
        ),
        id="seasons-full",
    ),
    pytest.param(
        Contract(
            # No fixture has both levels: its seasons are held to the extended=full one ...
            lambda: pytrakt("seasons.json", "shows/game-of-thrones/seasons?extended=full"),
            lambda env: [
                {k: v for k, v in s.items() if k != "episodes"}
                for s in full_seasons_and_episodes(env)
            ],
            omitted={"$[].ids.tvrage": TVRAGE},
            reads=("$[].number", "$[].ids.trakt"),
        ),
        id="seasons-full-episodes:seasons",
    ),
    pytest.param(
        Contract(
            # ... and its episodes to the recorded extended=full episodes (non-null number_abs).
            lambda: trakt_py("shows/1390/seasons/1.json"),
            lambda env: [ep for s in full_seasons_and_episodes(env) for ep in s["episodes"]],
            omitted={"$[].ids.tvrage": TVRAGE},
            reads=EPISODE_READS,
        ),
        id="seasons-full-episodes:episodes",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("shows/1390/seasons/1.json"),
            lambda env: env.get("/shows/1390/seasons/1", extended="full"),
            omitted={"$[].ids.tvrage": TVRAGE},
            reads=EPISODE_READS,
        ),
        id="season-episodes-full-recorded",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Sync/test_add_items_to_watched_history.json"),
            post_history,
            reads=(
                "$.added.movies",
                "$.added.episodes",
                "$.not_found.movies",
                "$.not_found.shows",
                "$.not_found.seasons",
                "$.not_found.episodes",
            ),
        ),
        id="sync-history-post",
    ),
    pytest.param(
        Contract(
            lambda: pytrakt("sync.json", "sync/history", "POST"),
            post_history,
            extra={"$.not_found.people": PEOPLE},
        ),
        id="sync-history-post-2016",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Sync/test_get_watched_shows.json"),
            lambda env: env.get("/sync/watched/shows", extended="progress"),
            extra={"$[].reset_at": RESET_AT},
            reads=WATCHED_READS,
        ),
        id="watched-shows",
    ),
    pytest.param(
        Contract(
            lambda: trakt_py("sync/watched/shows.json"),
            lambda env: env.get("/sync/watched/shows", extended="progress"),
            omitted={"$[].show.ids.tvrage": TVRAGE},
            extra={"$[].reset_at": RESET_AT, "$[].last_updated_at": LAST_UPDATED},
            reads=WATCHED_READS,
        ),
        id="watched-shows-2015",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Sync/test_get_watched_shows_noseasons.json"),
            lambda env: env.get("/sync/watched/shows", extended="noseasons"),
            omitted={"$[].show.ids.tvrage": TVRAGE},
            reads=("$[].show.ids.trakt", "$[].plays"),
        ),
        id="watched-shows-noseasons",
    ),
    pytest.param(
        Contract(
            # /users/:id/watched/movies has the same body as /sync/watched/movies.
            lambda: pytrakt("users.json", "users/sean/watched/movies"),
            lambda env: env.get("/sync/watched/movies"),
            extra={"$[].last_updated_at": LAST_UPDATED},
            reads=("$[].movie.ids.trakt", "$[].plays"),
        ),
        id="watched-movies",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Sync/test_get_last_activity.json"),
            lambda env: env.get("/sync/last_activities"),
            reads=("$.all", "$.episodes.watched_at", "$.movies.watched_at"),
        ),
        id="last-activities",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Users/test_get_settings.json"),
            lambda env: env.get("/users/settings"),
            reads=("$.user.username", "$.user.vip", "$.user.ids.slug"),
        ),
        id="users-settings",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Authentication/AuthenticationInfo.json"),
            exchange_code,
            reads=TOKEN_READS,
        ),
        id="oauth-token-code",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Authentication/AuthenticationInfo.json"),
            refresh_tokens,
            reads=TOKEN_READS,
        ),
        id="oauth-token-refresh",
    ),
    pytest.param(
        Contract(
            lambda: traktkit("Authentication/AuthenticationInfo.json"),
            device_token,
            reads=TOKEN_READS,
        ),
        id="oauth-device-token",
    ),
    pytest.param(
        Contract(
            lambda: load("trakt.net", "Authentication", "Device.json"),
            device_code,
            reads=(
                "$.device_code",
                "$.user_code",
                "$.verification_url",
                "$.expires_in",
                "$.interval",
            ),
        ),
        id="oauth-device-code",
    ),
]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_the_fake_answers_like_trakt(contract_env: Env, contract: Contract) -> None:
    recorded = contract.recorded()
    answer = contract.fetch(contract_env)

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


def test_the_shape_comparison_catches_what_it_should() -> None:
    recorded = {"ids": {"trakt": 1, "slug": "x"}, "list": [{"a": 1}], "n": None}
    assert shape_diff({"ids": {"trakt": 1, "slug": "x"}, "list": [], "n": "s"}, recorded) == []
    assert set(shape_diff({"ids": {"trakt": "1"}, "list": [{"a": 1, "b": 2}]}, recorded)) == {
        ("only-recorded", "$.ids.slug"),
        ("type", "$.ids.trakt (fake string, recorded number)"),
        ("only-fake", "$.list[].b"),
        ("only-recorded", "$.n"),
    }
    assert has_path([{"e": [{"n": None}]}], "$[].e[].n")
    assert not has_path([{"e": []}], "$[].e[].n")


# -- part 2: behaviour --------------------------------------------------------------------


def episodes_body(show: int, season: int, *numbers: int, **extra: Any) -> dict[str, Any]:
    episodes = [{"number": n, **extra} for n in numbers]
    return {
        "shows": [{"ids": {"trakt": show}, "seasons": [{"number": season, "episodes": episodes}]}]
    }


def test_every_play_is_recorded_without_dedupe(env: Env) -> None:
    first = env.history(episodes_body(100, 1, 1, 1, 2))
    second = env.history(episodes_body(100, 1, 1))

    assert first.status_code == second.status_code == 201
    assert first.json()["added"] == {"movies": 0, "episodes": 3}
    assert env.fake.play_count(100, 1, 1) == 3
    assert env.fake.play_count(100, 1, 2) == 1
    assert env.fake.history_counts() == Counter({(100, 1, 1): 3, (100, 1, 2): 1})
    watched = env.get("/sync/watched/shows", extended="progress")
    assert watched[0]["plays"] == 4
    assert watched[0]["seasons"][0]["episodes"][0] == {
        "number": 1,
        "plays": 3,
        "last_watched_at": "2025-06-15T15:06:00.000Z",
    }


def test_plays_carry_ids_and_the_posted_watched_at(env: Env) -> None:
    body = {
        **episodes_body(200, 15, 327, watched_at="2024-01-02T03:04:05Z"),
        "movies": [{"ids": {"tmdb": 916224}, "watched_at": "2024-02-03T04:05:06+02:00"}],
    }
    assert env.history(body).status_code == 201

    assert env.fake.plays == [
        Play("movie", 300, None, None, None, "2024-02-03T02:05:00.000Z"),
        Play(
            "episode",
            env.fake.episode_trakt_id(200, 15, 327),
            200,
            15,
            327,
            "2024-01-02T03:04:00.000Z",
        ),
    ]
    assert env.fake.history_counts()[("movie", 300)] == 1


@pytest.mark.parametrize(
    ("body", "bucket", "echo"),
    [
        pytest.param(
            {
                "shows": [
                    {"ids": {"trakt": 999}, "seasons": [{"number": 1, "episodes": [{"number": 1}]}]}
                ]
            },
            "shows",
            {"ids": {"trakt": 999}, "seasons": [{"number": 1, "episodes": [{"number": 1}]}]},
            id="unknown-show",
        ),
        pytest.param(
            episodes_body(100, 7, 1),
            "seasons",
            {"ids": {"trakt": 100}, "seasons": [{"number": 7, "episodes": [{"number": 1}]}]},
            id="unknown-season",
        ),
        pytest.param(
            episodes_body(100, 1, 29),
            "episodes",
            {"ids": {"trakt": 100}, "seasons": [{"number": 1, "episodes": [{"number": 29}]}]},
            id="episode-past-the-season",
        ),
        pytest.param(
            episodes_body(200, 15, 1),
            "episodes",
            {"ids": {"trakt": 200}, "seasons": [{"number": 15, "episodes": [{"number": 1}]}]},
            id="relative-number-in-an-absolutely-numbered-season",
        ),
        pytest.param(
            {"episodes": [{"ids": {"trakt": 1}}]},
            "episodes",
            {"ids": {"trakt": 1}},
            id="unknown-episode-id",
        ),
        pytest.param(
            {"movies": [{"ids": {"imdb": "tt0000111"}}]},
            "movies",
            {"ids": {"imdb": "tt0000111"}},
            id="unknown-movie",
        ),
        pytest.param(
            {"seasons": [{"ids": {"trakt": 1}, "episodes": [{"number": 1}]}]},
            "seasons",
            {"ids": {"trakt": 1}, "episodes": [{"number": 1}]},
            id="unknown-season-id",
        ),
    ],
)
def test_unknown_items_go_to_not_found_and_add_nothing(
    env: Env, body: dict[str, Any], bucket: str, echo: dict[str, Any]
) -> None:
    response = env.history(body)

    assert response.status_code == 201
    result = response.json()
    assert result["added"] == {"movies": 0, "episodes": 0}
    assert result["not_found"][bucket] == [echo]
    assert all(not v for k, v in result["not_found"].items() if k != bucket)
    assert env.fake.plays == []


def season_15_object(env: Env) -> dict[str, Any]:
    season_id = env.get("/shows/200/seasons")[1]["ids"]["trakt"]
    return {"seasons": [{"ids": {"trakt": season_id}}]}


@pytest.mark.parametrize(
    ("build", "expected_plays", "bare_seasons"),
    [
        pytest.param(
            lambda env: {"shows": [{"ids": {"trakt": 100}}]}, 28, 0, id="show-without-seasons"
        ),
        pytest.param(
            lambda env: {"shows": [{"ids": {"trakt": 100}, "seasons": []}]},
            28,
            0,
            id="empty-seasons",
        ),
        pytest.param(
            lambda env: {"shows": [{"ids": {"trakt": 200}, "seasons": [{"number": 15}]}]},
            3,
            1,
            id="season-without-episodes",
        ),
        pytest.param(season_15_object, 3, 1, id="season-object-without-episodes"),
    ],
)
def test_a_bare_show_or_season_marks_every_episode_like_trakt(
    env: Env, build: Callable[[Env], dict[str, Any]], expected_plays: int, bare_seasons: int
) -> None:
    response = env.history(build(env))

    assert response.json()["added"]["episodes"] == expected_plays
    assert env.fake.bare_show_posts == 1
    assert env.fake.bare_season_posts == bare_seasons
    assert all(play.season != 0 for play in env.fake.plays), "specials are not marked"


@pytest.mark.parametrize(
    ("levels", "stored"),
    [
        pytest.param({}, "2025-06-15T15:06:00.000Z", id="absent-means-now"),
        pytest.param({"episode": "2024-01-02T03:04:05Z"}, "2024-01-02T03:04:00.000Z", id="z"),
        pytest.param(
            {"episode": "2024-01-02T05:04:05+02:00"}, "2024-01-02T03:04:00.000Z", id="offset"
        ),
        pytest.param(
            {"episode": "2024-01-02T03:04:59.999999Z"},
            "2024-01-02T03:04:00.000Z",
            id="to-the-minute-never-rounded-up",
        ),
        pytest.param(
            {"episode": "2024-01-02T03:04:05"}, "2024-01-02T03:04:00.000Z", id="naive-is-utc"
        ),
        pytest.param({"episode": "unknown"}, "unknown", id="unknown"),
        pytest.param({"episode": "released"}, "2005-01-01T00:00:00.000Z", id="released"),
        pytest.param(
            {"season": "2024-03-03T00:00:00Z"}, "2024-03-03T00:00:00.000Z", id="from-season"
        ),
        pytest.param({"show": "2024-04-04T00:00:00Z"}, "2024-04-04T00:00:00.000Z", id="from-show"),
        pytest.param(
            {"episode": "2024-05-05T00:00:00Z", "show": "2024-04-04T00:00:00Z"},
            "2024-05-05T00:00:00.000Z",
            id="episode-wins",
        ),
    ],
)
def test_watched_at_is_normalised_and_inherited(
    env: Env, levels: dict[str, str], stored: str
) -> None:
    episode: dict[str, Any] = {"number": 326}
    season: dict[str, Any] = {"number": 15, "episodes": [episode]}
    show: dict[str, Any] = {"ids": {"trakt": 200}, "seasons": [season]}
    for level, item in (("episode", episode), ("season", season), ("show", show)):
        if level in levels:
            item["watched_at"] = levels[level]

    assert env.history({"shows": [show]}).status_code == 201
    assert [p.watched_at for p in env.fake.plays] == [stored]


def test_an_unparseable_watched_at_is_a_422_that_applies_nothing(env: Env) -> None:
    body = episodes_body(100, 1, 1)
    body["shows"][0]["seasons"][0]["episodes"].append({"number": 2, "watched_at": "yesterday"})

    assert env.history(body).status_code == 422
    assert env.fake.plays == []


@pytest.mark.parametrize(
    ("extended", "need_progress", "has_seasons"),
    [
        pytest.param(None, True, False, id="default-2026-no-seasons"),
        pytest.param("progress", True, True, id="progress"),
        pytest.param("full,progress", True, True, id="full-progress"),
        pytest.param("noseasons", True, False, id="noseasons"),
        pytest.param(None, False, True, id="documented-default"),
        pytest.param("noseasons", False, False, id="documented-noseasons"),
    ],
)
def test_watched_shows_carry_seasons_only_when_asked(
    env: Env, extended: str | None, need_progress: bool, has_seasons: bool
) -> None:
    env.fake.watched_seasons_need_progress = need_progress
    env.fake.add_watched(100, 1, 3)

    params = {"extended": extended} if extended else {}
    (item,) = env.get("/sync/watched/shows", **params)

    assert ("seasons" in item) is has_seasons
    assert item["show"]["ids"]["trakt"] == 100


def test_last_activities_move_when_history_changes(env: Env) -> None:
    before = env.get("/sync/last_activities")
    env.clock.advance(60)

    env.history(episodes_body(100, 1, 1))
    after = env.get("/sync/last_activities")

    assert after["episodes"]["watched_at"] == after["all"] == "2025-06-15T15:07:40.000Z"
    assert after["episodes"]["watched_at"] > before["episodes"]["watched_at"]
    assert after["movies"] == before["movies"]


def test_seasons_list_episodes_with_absolute_numbers(env: Env) -> None:
    seasons = env.get("/shows/100/seasons", extended="full,episodes")
    long_runner = env.get("/shows/200/seasons", extended="full,episodes")
    minimal = env.get("/shows/100/seasons", extended="episodes")

    assert [s["number"] for s in seasons] == [0, 1]
    assert [e["number_abs"] for e in seasons[0]["episodes"]] == [None, None]
    assert [e["number_abs"] for e in seasons[1]["episodes"]][:3] == [1, 2, 3]
    assert [(e["season"], e["number"], e["number_abs"]) for e in long_runner[1]["episodes"]] == [
        (15, 326, 326),
        (15, 327, 327),
        (15, 328, 328),
    ]
    assert "number_abs" not in minimal[1]["episodes"][0], "number_abs needs extended=full"
    assert "episodes" not in env.get("/shows/100/seasons", extended="full")[0]


def test_int_seasons_count_number_abs_across_regular_seasons(clock: ManualClock) -> None:
    fake = FakeTrakt(clock=clock.time)
    fake.add_show(1, "Split Cour", seasons={0: 1, 1: 3, 2: 2, 3: [FakeEpisode(1)]})
    with make_env(fake, clock) as env:
        seasons = env.get("/shows/1/seasons", extended="full,episodes")
    numbers = {s["number"]: [e["number_abs"] for e in s["episodes"]] for s in seasons}
    assert numbers == {0: [None], 1: [1, 2, 3], 2: [4, 5], 3: [None]}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/shows/100", 200, id="trakt-id"),
        pytest.param("/shows/sousou-no-frieren", 200, id="slug"),
        pytest.param("/shows/404", 404, id="unknown"),
        pytest.param("/shows/100/seasons/1", 200, id="season"),
        pytest.param("/shows/100/seasons/9", 404, id="unknown-season"),
        pytest.param("/shows/404/seasons", 404, id="seasons-of-unknown"),
        pytest.param("/movies/tt16428256", 200, id="movie-by-imdb"),
        pytest.param("/nowhere", 404, id="no-route"),
    ],
)
def test_lookups(env: Env, path: str, status: int) -> None:
    assert env.api.get(path).status_code == status


def test_search_by_id_filters_by_type_and_paginates(env: Env) -> None:
    env.fake.add_movie(301, "Same TMDB id as the show", tmdb=209867)

    both = env.api.get("/search/tmdb/209867")
    shows = env.get("/search/tmdb/209867", type="show")
    movies = env.get("/search/tmdb/209867", type="movie")

    assert [r["type"] for r in both.json()] == ["show", "movie"]
    assert both.headers["X-Pagination-Item-Count"] == "2"
    assert [r["show"]["ids"]["trakt"] for r in shows] == [100]
    assert [r["movie"]["ids"]["trakt"] for r in movies] == [301]
    assert env.get("/search/tvdb/81797", type="show")[0]["show"]["ids"]["trakt"] == 200
    assert env.get("/search/tvdb/1", type="show") == []
    assert env.get("/search/show", query="frieren")[0]["show"]["ids"]["trakt"] == 100


# -- OAuth --------------------------------------------------------------------------------


def token_body(env: Env, **overrides: str) -> dict[str, str]:
    body = {
        "grant_type": "authorization_code",
        "code": env.fake.create_authorization_code(),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": OOB,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v != "-"}


def test_a_code_exchange_gives_seven_day_tokens_once(env: Env) -> None:
    body = token_body(env)

    first = env.oauth("/oauth/token", body)
    again = env.oauth("/oauth/token", body)

    tokens = first.json()
    assert first.status_code == 200
    assert (tokens["expires_in"], tokens["created_at"]) == (604_800, int(env.clock.time()))
    assert (tokens["token_type"], tokens["scope"]) == ("bearer", "public")
    assert tokens["access_token"] in env.fake.valid_access_tokens
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        pytest.param({"client_secret": "wrong"}, 401, "invalid_client", id="wrong-secret"),
        pytest.param({"client_id": "wrong"}, 401, "invalid_client", id="wrong-client"),
        pytest.param({"redirect_uri": "http://elsewhere"}, 400, "invalid_grant", id="redirect"),
        pytest.param({"code": "made-up"}, 400, "invalid_grant", id="unknown-code"),
        pytest.param({"code": "-"}, 400, "invalid_request", id="missing-code"),
        pytest.param({"grant_type": "password"}, 400, "unsupported_grant_type", id="grant"),
    ],
)
def test_bad_code_exchanges(env: Env, overrides: dict[str, str], status: int, error: str) -> None:
    response = env.oauth("/oauth/token", token_body(env, **overrides))

    assert (response.status_code, response.json()["error"]) == (status, error)
    assert response.json()["error_description"]


def test_an_authorization_code_expires(env: Env) -> None:
    body = token_body(env)
    env.clock.advance(601)

    assert env.oauth("/oauth/token", body).json()["error"] == "invalid_grant"


def test_refresh_tokens_are_single_use(env: Env) -> None:
    body = {
        "grant_type": "refresh_token",
        "refresh_token": env.refresh,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": OOB,
    }

    first = env.oauth("/oauth/token", body)
    reused = env.oauth("/oauth/token", body)

    assert first.status_code == 200
    new = first.json()
    assert new["refresh_token"] != env.refresh
    assert new["access_token"] in env.fake.valid_access_tokens
    assert env.refresh not in env.fake.valid_refresh_tokens
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert "invalid" in reused.json()["error_description"]
    assert (env.fake.refresh_calls, env.fake.refresh_successes) == (2, 1)
    chained = env.oauth("/oauth/token", {**body, "refresh_token": new["refresh_token"]})
    assert chained.status_code == 200


def test_oauth_accepts_a_form_body_too(env: Env) -> None:
    response = env.auth.post("/oauth/token", data=token_body(env))

    assert response.status_code == 200


def test_authorize_hands_out_a_code_for_the_oob_redirect(env: Env) -> None:
    page = env.auth.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": OOB},
    )
    code = re.search(r'<code id="code">(\w+)</code>', page.text)

    assert page.status_code == 200
    assert code is not None
    assert env.oauth("/oauth/token", token_body(env, code=code.group(1))).status_code == 200


@pytest.mark.parametrize(
    ("make_unusable", "description"),
    [
        pytest.param(lambda env: env.fake.expire_access_token(env.token), "expired", id="expired"),
        pytest.param(
            lambda env: env.oauth(
                "/oauth/revoke",
                {"token": env.token, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            ),
            "invalid",
            id="revoked",
        ),
        pytest.param(lambda env: env.clock.advance(604_800), "expired", id="seven-days-later"),
    ],
)
def test_an_unusable_access_token_is_a_401(
    env: Env, make_unusable: Callable[[Env], object], description: str
) -> None:
    make_unusable(env)

    response = env.api.get("/sync/last_activities")

    assert response.status_code == 401
    assert description in response.headers["WWW-Authenticate"]
    assert env.token not in env.fake.valid_access_tokens


def poll(env: Env, device: str, secret: str = CLIENT_SECRET) -> int:
    body = {"code": device, "client_id": CLIENT_ID, "client_secret": secret}
    return env.oauth("/oauth/device/token", body).status_code


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(
            [
                "poll 400",
                "wait 5",
                "poll 400",
                "approve",
                "wait 5",
                "poll 200",
                "wait 5",
                "poll 409",
            ],
            id="approved-then-used",
        ),
        pytest.param(["poll 400", "poll 429", "wait 5", "poll 400"], id="too-fast"),
        pytest.param(["deny", "poll 418"], id="denied"),
        pytest.param(["wait 600", "poll 410"], id="expired"),
        pytest.param(["approve", "wait 601", "poll 410"], id="approved-too-late"),
        pytest.param(["poll-unknown 404"], id="unknown-code"),
        pytest.param(["poll-wrong-secret 401"], id="wrong-secret"),
    ],
)
def test_device_flow_statuses(env: Env, steps: list[str]) -> None:
    code = device_code(env)
    assert code["interval"] == 5
    assert code["expires_in"] == 600
    assert code["user_code"] in env.fake.device_user_codes
    for step in steps:
        action, _, argument = step.partition(" ")
        if action == "wait":
            env.clock.advance(int(argument))
        elif action == "approve":
            env.fake.approve_device(code["user_code"])
        elif action == "deny":
            env.fake.deny_device(code["user_code"])
        elif action == "poll":
            assert poll(env, code["device_code"]) == int(argument), step
        elif action == "poll-unknown":
            assert poll(env, "nope") == int(argument)
        else:
            assert poll(env, code["device_code"], secret="wrong") == int(argument)


# -- hosts and headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "method", "path", "status"),
    [
        pytest.param(API_HOST, "POST", "/oauth/token", 404, id="token-on-api-host"),
        pytest.param(API_HOST, "POST", "/oauth/device/code", 404, id="device-on-api-host"),
        pytest.param(API_HOST, "POST", "/oauth/revoke", 404, id="revoke-on-api-host"),
        pytest.param(AUTH_HOST, "GET", "/sync/last_activities", 404, id="api-on-auth-host"),
        pytest.param(AUTH_HOST, "POST", "/oauth/device/code", 200, id="device-on-auth-host"),
        pytest.param(API_HOST, "GET", "/sync/last_activities", 200, id="api-on-api-host"),
    ],
)
def test_oauth_and_api_answer_only_on_their_own_host(
    env: Env, host: str, method: str, path: str, status: int
) -> None:
    response = env.api.request(method, f"http://{host}{path}", json={"client_id": CLIENT_ID})

    assert response.status_code == status


def test_without_configured_hosts_any_host_answers(clock: ManualClock) -> None:
    fake = FakeTrakt(clock=clock.time)
    with httpx.Client(transport=SyncASGITransport(fake)) as client:
        response = client.post(
            "http://127.0.0.1:8080/oauth/device/code", json={"client_id": CLIENT_ID}
        )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("drop", "override", "method", "status"),
    [
        pytest.param("trakt-api-key", {}, "GET", 403, id="no-api-key"),
        pytest.param(None, {"trakt-api-key": "other"}, "GET", 403, id="wrong-api-key"),
        pytest.param("trakt-api-version", {}, "GET", 400, id="no-version"),
        pytest.param(None, {"trakt-api-version": "1"}, "GET", 400, id="version-1"),
        pytest.param(None, {"content-type": "text/plain"}, "POST", 412, id="post-not-json"),
        pytest.param("authorization", {}, "GET", 401, id="no-token"),
        pytest.param(None, {"authorization": "Bearer nope"}, "GET", 401, id="unknown-token"),
        pytest.param(None, {"authorization": "Basic abc"}, "GET", 401, id="not-bearer"),
        pytest.param(None, {}, "GET", 200, id="all-present"),
        pytest.param(None, {}, "POST", 201, id="post-json"),
        pytest.param(
            None, {"content-type": "application/json; charset=utf-8"}, "POST", 201, id="charset"
        ),
    ],
)
def test_required_headers(
    env: Env, drop: str | None, override: dict[str, str], method: str, status: int
) -> None:
    headers = {**API_HEADERS, "authorization": f"Bearer {env.token}"}
    if method == "POST":
        headers["content-type"] = "application/json"
    headers.pop(drop or "", None)
    headers.update(override)
    path = "/sync/history" if method == "POST" else "/sync/last_activities"
    transport = SyncASGITransport(env.fake.app)
    with httpx.Client(base_url=f"http://{API_HOST}", transport=transport) as bare:
        response = bare.request(method, path, headers=headers, content=b"{}" * (method == "POST"))

    assert response.status_code == status


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 200, id="anonymous"),
        pytest.param({"authorization": "Bearer nope"}, 401, id="bad-token-is-checked"),
    ],
)
def test_search_works_without_oauth_but_checks_a_token_sent(
    env: Env, headers: dict[str, str], status: int
) -> None:
    transport = SyncASGITransport(env.fake.app)
    with httpx.Client(base_url=f"http://{API_HOST}", transport=transport) as bare:
        response = bare.get(
            "/search/tmdb/209867", params={"type": "show"}, headers={**API_HEADERS, **headers}
        )

    assert response.status_code == status


def test_requests_are_recorded(env: Env) -> None:
    env.history(episodes_body(100, 1, 1))
    env.get("/search/tmdb/209867", type="show")

    post, search = env.fake.requests
    assert (post.method, post.host, post.path) == ("POST", API_HOST, "/sync/history")
    assert post.json == episodes_body(100, 1, 1)
    assert post.headers["trakt-api-key"] == CLIENT_ID
    assert post.headers["authorization"] == f"Bearer {env.token}"
    assert (search.query, search.json) == ({"type": "show"}, None)
    assert env.fake.requests_to("/sync/history", "post") == [post]


# -- scripted faults ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "headers", "content_type"),
    [
        pytest.param(
            {"status": 429, "retry_after": "7"},
            429,
            {"Retry-After": "7"},
            None,
            id="429-retry-after",
        ),
        pytest.param(
            {"status": 429}, 429, {"Retry-After": None}, None, id="429-without-retry-after"
        ),
        pytest.param(
            {"status": 429, "html": True},
            429,
            {"X-Ratelimit": None},
            "text/html",
            id="429-cloudflare-html",
        ),
        pytest.param({"status": 401}, 401, {"WWW-Authenticate": "invalid"}, None, id="401"),
        pytest.param(
            {"status": 420, "headers": {"X-Account-Limit": "100", "X-VIP-User": "false"}},
            420,
            {
                "X-Account-Limit": "100",
                "X-VIP-User": "false",
                "X-Upgrade-URL": "https://trakt.tv/vip",
            },
            None,
            id="420-account-limit",
        ),
        pytest.param({"status": 500}, 500, {}, None, id="500"),
        pytest.param({"status": 502, "html": True}, 502, {}, "text/html", id="502-html"),
        pytest.param({"status": 503}, 503, {}, None, id="503"),
        pytest.param({"status": 520, "html": True}, 520, {}, "text/html", id="520-cloudflare"),
    ],
)
def test_fail_next_statuses(
    env: Env,
    fault: dict[str, Any],
    status: int,
    headers: dict[str, str | None],
    content_type: str | None,
) -> None:
    env.fake.fail_next(**fault)

    response = env.api.get("/sync/last_activities")

    assert response.status_code == status
    for name, value in headers.items():
        if value is None:
            assert name not in response.headers
        else:
            assert value in response.headers[name]
    if content_type:
        assert response.headers["content-type"].startswith(content_type)
        assert "<html>" in response.text
    if status == 429 and not fault.get("html"):
        assert json.loads(response.headers["X-Ratelimit"])["remaining"] == 0
    assert env.api.get("/sync/last_activities").status_code == 200, "one request only"


def test_a_timeout_before_apply_records_nothing(env: Env) -> None:
    env.fake.fail_next(timeout=True, path="/sync/history")

    with pytest.raises(httpx.ReadTimeout):
        env.history(episodes_body(100, 1, 1))
    assert env.fake.plays == []


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"timeout": True}, id="timeout"),
        pytest.param({"status": 502}, id="502"),
        pytest.param({"status": 429, "html": True}, id="429-html"),
    ],
)
def test_after_apply_the_post_is_recorded_but_the_client_sees_a_failure(
    env: Env, fault: dict[str, Any]
) -> None:
    env.fake.fail_next(after_apply=True, path="/sync/history", method="POST", **fault)

    if fault.get("timeout"):
        with pytest.raises(httpx.ReadTimeout):
            env.history(episodes_body(100, 1, 1))
    else:
        assert env.history(episodes_body(100, 1, 1)).status_code == fault["status"]

    assert env.fake.play_count(100, 1, 1) == 1
    watched = env.get("/sync/watched/shows", extended="progress")
    assert watched[0]["seasons"][0]["episodes"][0]["plays"] == 1


def test_fail_next_matches_path_method_and_count(env: Env) -> None:
    env.fake.fail_next(2, status=503, path="/sync/*", method="POST")

    assert env.api.get("/sync/last_activities").status_code == 200
    assert env.api.get("/shows/100").status_code == 200
    assert env.history(episodes_body(100, 1, 1)).status_code == 503
    assert env.history(episodes_body(100, 1, 1)).status_code == 503
    assert env.history(episodes_body(100, 1, 1)).status_code == 201
    assert env.fake.play_count(100, 1, 1) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="neither-status-nor-timeout"),
        pytest.param({"status": 500, "timeout": True}, id="both"),
        pytest.param({"status": 500, "n": 0}, id="zero-times"),
    ],
)
def test_fail_next_refuses_an_unclear_script(env: Env, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="fail_next"):
        env.fake.fail_next(**kwargs)


def test_a_real_server_times_out_by_sleeping_after_applying() -> None:
    fake = FakeTrakt(in_process=False, timeout_sleep=0.4)
    fake.add_show(100, "Frieren", seasons={1: 2})
    token, _ = fake.issue_tokens()
    fake.fail_next(timeout=True, after_apply=True, path="/sync/history")
    headers = {**API_HEADERS, "Authorization": f"Bearer {token}"}

    with serve_in_thread(fake.app) as url, httpx.Client(base_url=url, headers=headers) as api:
        with pytest.raises(httpx.ReadTimeout):
            api.post("/sync/history", json=episodes_body(100, 1, 1), timeout=0.1)
        watched = api.get("/sync/watched/shows", params={"extended": "progress"})

    assert fake.play_count(100, 1, 1) == 1
    assert watched.json()[0]["plays"] == 1


def test_rate_limits_are_enforced_only_when_asked(env: Env) -> None:
    env.fake.enforce_rate_limits = True

    first = env.history(episodes_body(100, 1, 1))
    second = env.history(episodes_body(100, 1, 2))
    env.clock.advance(1)
    third = env.history(episodes_body(100, 1, 2))

    assert (first.status_code, second.status_code, third.status_code) == (201, 429, 201)
    assert second.headers["Retry-After"] == "1"
    assert json.loads(second.headers["X-Ratelimit"])["name"] == "AUTHED_API_POST_LIMIT"
    assert env.fake.rate_limited == 1
    assert env.fake.history_counts() == Counter({(100, 1, 1): 1, (100, 1, 2): 1})


def test_reset_forgets_everything_but_the_catalog(env: Env) -> None:
    env.history(episodes_body(100, 1, 1))
    env.fake.fail_next(status=500)

    env.fake.reset()

    assert (env.fake.plays, env.fake.requests, env.fake.valid_access_tokens) == ([], [], set())
    token, _ = env.fake.issue_tokens()
    response = env.api.get("/shows/100", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_a_scripted_429_names_the_limit_of_the_method(env: Env) -> None:
    env.fake.fail_next(status=429, retry_after="1", method="POST")
    env.fake.fail_next(status=429, method="GET")

    posted = env.history(episodes_body(100, 1, 1))
    read = env.api.get("/sync/last_activities")

    assert json.loads(posted.headers["X-Ratelimit"])["name"] == "AUTHED_API_POST_LIMIT"
    assert json.loads(read.headers["X-Ratelimit"])["name"] == "AUTHED_API_GET_LIMIT"
    assert env.fake.plays == [], "a fault before apply applies nothing"


# -- catalog and seeded history -------------------------------------------------------------


@pytest.mark.parametrize(
    "add",
    [
        pytest.param(lambda fake: fake.add_show(100, "Again"), id="show-id-taken"),
        pytest.param(lambda fake: fake.add_movie(300, "Again"), id="movie-id-taken"),
        pytest.param(
            lambda fake: fake.add_show(
                101, "Clash", seasons={1: [FakeEpisode(1, trakt_id=5), FakeEpisode(2, trakt_id=5)]}
            ),
            id="episode-id-taken",
        ),
    ],
)
def test_the_catalog_refuses_duplicate_ids(
    fake: FakeTrakt, add: Callable[[FakeTrakt], None]
) -> None:
    with pytest.raises(ValueError, match="already"):
        add(fake)


def test_explicit_episode_ids_are_kept_and_auto_ids_avoid_them(fake: FakeTrakt) -> None:
    next_auto_id = fake.episode_trakt_id(200, 15, 328) + 1
    fake.add_show(
        101, "Mixed", seasons={1: [FakeEpisode(1, trakt_id=next_auto_id), FakeEpisode(2)]}
    )

    assert fake.episode_trakt_id(101, 1, 1) == next_auto_id
    assert fake.episode_trakt_id(101, 1, 2) == next_auto_id + 1
    with pytest.raises(KeyError):
        fake.episode_trakt_id(101, 1, 3)


def test_seeded_history_reads_like_posted_history(env: Env) -> None:
    env.fake.add_watched(100, 1, 5, watched_at="2023-10-01T12:00:00Z", plays=2)
    env.fake.add_watched_movie(300, watched_at="2023-11-01T12:00:00Z")

    (show,) = env.get("/sync/watched/shows", extended="progress")
    (movie,) = env.get("/sync/watched/movies")

    assert show["seasons"] == [
        {
            "number": 1,
            "episodes": [{"number": 5, "plays": 2, "last_watched_at": "2023-10-01T12:00:00.000Z"}],
        }
    ]
    assert (movie["plays"], movie["movie"]["ids"]["trakt"]) == (1, 300)
    assert env.fake.history_counts() == Counter({(100, 1, 5): 2, ("movie", 300): 1})


@pytest.mark.parametrize(
    ("params", "limit", "page_count", "items"),
    [
        pytest.param({}, 100, 2, 100, id="default-100"),
        pytest.param({"page": "2"}, 100, 2, 5, id="second-page"),
        pytest.param({"limit": "1000"}, 250, 1, 105, id="limit-clamped-to-250"),
        pytest.param({"extended": "progress", "limit": "250"}, 100, 2, 100, id="progress-100"),
        pytest.param({"page": "3"}, 100, 2, 0, id="past-the-end"),
    ],
)
def test_watched_shows_are_always_paginated(
    env: Env, params: dict[str, str], limit: int, page_count: int, items: int
) -> None:
    for n in range(105):
        env.fake.add_show(1000 + n, f"Show {n}", seasons={1: 1})
        env.fake.add_watched(
            1000 + n, 1, 1, watched_at=f"2020-01-01T00:{n // 60:02d}:{n % 60:02d}Z"
        )

    response = env.api.get("/sync/watched/shows", params=params)

    assert response.status_code == 200
    assert len(response.json()) == items
    assert response.headers["X-Pagination-Limit"] == str(limit)
    assert response.headers["X-Pagination-Page-Count"] == str(page_count)
    assert response.headers["X-Pagination-Item-Count"] == "105"


# -- part 2b: Trakt as it behaves in late 2026 -------------------------------------------


def test_the_edge_answers_a_request_without_a_user_agent_with_an_html_403(env: Env) -> None:
    response = env.api.get("/sync/watched/shows", headers={"User-Agent": ""})

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "cloudflare" in response.text.lower()
    assert env.auth.post("/oauth/token", json={}, headers={"User-Agent": ""}).status_code == 403


def test_a_locked_account_is_423_and_a_vip_only_path_426(env: Env) -> None:
    env.fake.vip_only = frozenset({"/sync/history"})
    refused = env.history(episodes_body(100, 1, 1))
    assert refused.status_code == 426
    assert refused.headers["X-Upgrade-URL"] == "https://trakt.tv/vip"
    assert env.fake.plays == []

    env.fake.account_locked = True
    assert env.api.get("/sync/watched/shows").status_code == 423
    # The account is suspended, not the app: a catalog read sent without the token works.
    with httpx.Client(transport=SyncASGITransport(env.fake.app), headers=API_HEADERS) as anon:
        assert anon.get(f"http://{API_HOST}/shows/100").status_code == 200


def test_a_lost_page_comes_back_empty_with_the_true_headers(env: Env) -> None:
    for number in range(1, 29):
        env.fake.add_watched(100, 1, number)
    env.fake.lost_pages = {"/sync/watched/movies": {1}, "/sync/watched/shows": {2}}

    first = env.api.get("/sync/watched/shows", params={"extended": "progress", "limit": 1})
    second = env.api.get(
        "/sync/watched/shows", params={"extended": "progress", "limit": 1, "page": 2}
    )

    assert len(first.json()) == 1
    assert second.json() == []
    assert second.headers["X-Pagination-Item-Count"] == "1"


def test_pkce_codes_need_their_verifier_and_no_secret(env: Env) -> None:
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    code = env.fake.create_authorization_code(challenge.rstrip(b"=").decode())
    grant = {"code": code, "client_id": CLIENT_ID, "redirect_uri": OOB}

    wrong = env.oauth("/oauth/token", {**grant, "grant_type": "authorization_code"})
    assert wrong.status_code == 400  # no verifier: invalid_grant, and the code is spent
    assert env.fake.pkce_failures == 1

    code = env.fake.create_authorization_code(challenge.rstrip(b"=").decode())
    right = env.oauth(
        "/oauth/token",
        {**grant, "code": code, "grant_type": "authorization_code", "code_verifier": verifier},
    )
    assert right.status_code == 200
    assert right.json()["access_token"] in env.fake.valid_access_tokens


def test_a_code_without_pkce_needs_the_secret(env: Env) -> None:
    code = env.fake.create_authorization_code()
    grant = {"code": code, "client_id": CLIENT_ID, "redirect_uri": OOB}

    refused = env.oauth("/oauth/token", {**grant, "grant_type": "authorization_code"})

    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


def test_a_post_past_the_history_cap_is_a_420_and_applies_nothing(env: Env) -> None:
    env.fake.history_limit = 2
    refused = env.history(episodes_body(100, 1, 1, 2, 3))

    assert refused.status_code == 420
    assert refused.headers["X-Account-Limit"] == "2"
    assert env.fake.plays == []
    assert env.fake.over_limit_posts == 1
