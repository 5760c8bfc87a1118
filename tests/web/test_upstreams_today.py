"""AniList and Trakt as they behave in late 2026, end to end through the API and the CLI.

Each case is a real failure another tool met (sources in README, "Trakt app" and the
fakes' docstrings): the run stops cleanly with a message that says what to do, nothing
is recorded that should not be, nothing is posted twice, and a refusal is never retried.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.store.progress import get_progress_many
from anitrakt.store.system_config import get_config
from anitrakt.store.tokens import load_pending_authorization
from anitrakt.web.app import create_app
from fakes.anilist import FaultKind
from fakes.transport import RoutingTransport, StrippingTransport, SyncASGITransport
from sync_world import API_HOST, AUTH_HOST, SPLIT, SPLIT_TRAKT, World

SENTENCE = "The AniList API has been temporarily disabled due to severe stability issues."


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings).small_library()


def client_for(world: World, transport: httpx.BaseTransport | None = None) -> TestClient:
    return TestClient(create_app(world.settings, upstream_transport=transport or world.transport()))


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with client_for(world) as test_client:
        yield test_client


def nothing_recorded(world: World) -> None:
    with world.sessions() as session:
        assert get_progress_many(session, [SPLIT]) == {}
        assert get_config(session, keys.LAST_SYNC_TIMESTAMP) is None
        assert get_config(session, keys.STATUS_SYNC_LAST_RUN) is None
    assert world.history() == Counter()


# -- AniList ------------------------------------------------------------------------------


def test_anilist_refusing_stops_the_run_and_says_so(world: World, client: TestClient) -> None:
    world.watched(SPLIT, "1 - 24")
    world.anilist.fail_next(FaultKind.API_DISABLED, times=50)

    response = client.post("/api/full-sync")

    assert response.status_code == 502
    body = response.json()
    assert "AniList refused the request" in body["error"]
    assert "temporarily disabled" in body["error"]
    assert "unavailable" not in body["error"].lower()  # not told as an outage to wait out
    assert body["details"]["errorCode"] == "anilist_refused"
    assert len(world.anilist.requests) == 1  # a refusal is not retried
    nothing_recorded(world)
    failure = client.get("/api/status").json()["lastFailure"]
    assert "AniList refused" in failure["error"]


def test_a_proxy_that_strips_the_referer_meets_the_real_edge(world: World) -> None:
    world.watched(SPLIT, "1 - 24")
    trakt = SyncASGITransport(world.trakt.app)
    stripped = RoutingTransport(
        {
            "anilist.test": StrippingTransport(SyncASGITransport(world.anilist), "Referer"),
            API_HOST: trakt,
            AUTH_HOST: trakt,
        }
    )
    with client_for(world, stripped) as client:
        response = client.post("/api/full-sync")

    assert response.status_code == 502
    assert SENTENCE in response.json()["error"]
    assert "Referer" in response.json()["error"]
    assert world.anilist.refused_without_referer == 1
    nothing_recorded(world)


# -- Trakt refusals ------------------------------------------------------------------------


def _deleted_app(world: World) -> None:
    world.trakt.client_id = "a-new-app-of-someone-else"  # ours is unknown to Trakt now


def _locked(world: World) -> None:
    world.trakt.account_locked = True


def _vip_only(world: World) -> None:
    world.trakt.vip_only = frozenset({"/sync/history"})


@pytest.mark.parametrize(
    ("arrange", "code", "says"),
    [
        pytest.param(_deleted_app, "trakt_app_rejected", "TRAKT_CLIENT_ID", id="deleted-app-403"),
        pytest.param(_locked, "trakt_account_locked", "support.trakt.tv", id="locked-423"),
        pytest.param(_vip_only, "trakt_vip_required", "VIP", id="vip-only-426"),
    ],
)
def test_a_trakt_refusal_stops_the_run_with_what_to_do(
    world: World, client: TestClient, arrange: Any, code: str, says: str
) -> None:
    world.watched(SPLIT, "1 - 24")
    arrange(world)

    response = client.post("/api/full-sync")

    assert response.status_code == 502  # not a 500: the TypeError of restated() is gone
    body = response.json()
    assert says in body["error"]
    assert body["details"]["errorCode"] == code
    refused = [r for r in world.trakt.requests if r.host == API_HOST]
    assert len({(r.method, r.path) for r in refused}) == len(refused)  # none retried
    assert world.history() == Counter()
    with world.sessions() as session:
        assert get_progress_many(session, [SPLIT]) == {}


def test_a_deleted_app_names_the_apps_page_and_the_vip_rule(
    world: World, client: TestClient
) -> None:
    world.watched(SPLIT, "1 - 24")
    _deleted_app(world)

    error = client.post("/api/full-sync").json()["error"]

    assert "app.trakt.tv/settings/apps/api" in error
    assert "deletes free users' API apps" in error
    assert "re-authorize" in error


def test_an_html_403_from_the_edge_is_said_as_such(world: World) -> None:
    world.watched(SPLIT, "1 - 24")
    stripped_trakt = StrippingTransport(SyncASGITransport(world.trakt.app), "User-Agent")
    transport = RoutingTransport(
        {
            "anilist.test": SyncASGITransport(world.anilist),
            API_HOST: stripped_trakt,
            AUTH_HOST: stripped_trakt,
        }
    )
    with client_for(world, transport) as client:
        response = client.post("/api/full-sync")

    assert response.status_code == 502
    body = response.json()
    assert "edge refused" in body["error"]
    assert "User-Agent" in body["error"]
    assert body["details"]["errorCode"] == "edge_blocked"
    assert world.history() == Counter()


# -- watched state that cannot prove it is complete ---------------------------------------


def _history_on_many_shows(world: World, shows: int) -> None:
    """An account with history on `shows` other shows: several watched pages."""
    for offset in range(shows):
        show = 50_000 + offset
        world.trakt.add_show(show, f"Watched elsewhere {offset}", seasons={1: 1})
        world.trakt.add_watched(show, 1, 1)


def test_a_lost_watched_page_stops_the_run_before_any_post(
    world: World, client: TestClient
) -> None:
    _history_on_many_shows(world, 150)  # two pages of 100
    world.trakt.add_watched(SPLIT_TRAKT, 1, 1)  # S1E1 is on Trakt already
    world.watched(SPLIT, "1 - 24")
    world.trakt.lost_pages = {"/sync/watched/shows": {2}}
    before = world.history()

    response = client.post("/api/full-sync")

    assert response.status_code == 502
    assert "incomplete" in response.json()["error"]
    assert world.posts() == 0
    assert world.history() == before

    world.trakt.lost_pages = {}
    assert client.post("/api/full-sync").status_code == 200
    # The re-run posts every episode once: S1E1 was known, so no duplicate.
    assert world.trakt.play_count(SPLIT_TRAKT, 1, 1) == 1
    assert all(world.trakt.play_count(SPLIT_TRAKT, s, n) == 1 for s in (1, 2) for n in range(1, 13))


# -- the account's history cap ------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "posts"), [(99_990, False), (99_976, True)], ids=["over", "fits"]
)
def test_the_history_cap_is_checked_before_the_first_post(
    world: World, client: TestClient, existing: int, posts: bool
) -> None:
    world.trakt.add_movie(7_000, "Watched a lot")
    world.trakt.add_watched_movie(7_000, plays=existing)
    world.watched(SPLIT, "1 - 24")

    response = client.post("/api/full-sync")

    assert world.trakt.over_limit_posts == 0  # never a 420 in the middle of a batch
    if posts:
        assert response.status_code == 200
        assert world.trakt.play_count(SPLIT_TRAKT, 2, 12) == 1
        return
    assert response.status_code == 502
    assert "100,000" in response.json()["error"]
    assert "nothing was posted" in response.json()["error"]
    assert world.posts() == 0


# -- connecting Trakt today ----------------------------------------------------------------


def _approve(world: World, link: str) -> str:
    with httpx.Client(transport=SyncASGITransport(world.trakt.app)) as browser:
        page = browser.get(link)
    match = re.search(r'<code id="code">(\w+)</code>', page.text)
    assert match is not None, page.text
    return match.group(1)


def test_the_code_flow_through_the_page_uses_pkce_without_a_secret(world: World) -> None:
    world.settings = world.settings.model_copy(update={"trakt_client_secret": None})
    with client_for(world) as client:
        first = client.get("/api/trakt-auth").json()
        again = client.get("/api/trakt-auth").json()
        assert first["url"] == again["url"]  # a page reload keeps the link working
        link = httpx.URL(first["url"])
        assert link.params["code_challenge_method"] == "S256"

        response = client.post("/api/trakt-auth", json={"code": _approve(world, first["url"])})

        assert response.status_code == 200, response.text
        assert response.json()["connected"] is True
    [exchange] = [
        r
        for r in world.trakt.requests_to("/oauth/token")
        if r.json["grant_type"] == "authorization_code"
    ]
    assert "client_secret" not in exchange.json
    assert exchange.json["code_verifier"]
    with world.sessions() as session:
        assert load_pending_authorization(session) is None  # used once, then forgotten
    with world.sessions() as session:
        logs = str(get_config(session, "trakt:oauth:pending"))
    assert exchange.json["code_verifier"] not in logs


def test_environment_tokens_count_as_connected(world: World) -> None:
    access, refresh = world.trakt.issue_tokens()
    world.settings = world.settings.model_copy(
        update={"trakt_access_token": SecretStr(access), "trakt_refresh_token": SecretStr(refresh)}
    )
    with world.sessions.begin() as session:
        from anitrakt.store.tokens import clear_tokens

        clear_tokens(session)
    with client_for(world) as client:
        status = client.get("/api/trakt-auth").json()

    assert status["connected"] is True
    assert status["source"] == "environment"
    assert status["username"] == world.trakt.username


def test_the_dashboard_banner_says_what_to_do(world: World, client: TestClient) -> None:
    world.watched(SPLIT, "1 - 24")
    _deleted_app(world)
    client.post("/api/full-sync")

    page = client.get("/").text
    banner = page.split('id="failure-banner"')[1].split("</div>")[0]

    assert 'data-code="trakt_app_rejected"' in banner
    assert "Trakt does not accept this app (TRAKT_CLIENT_ID)" in banner
    assert "app.trakt.tv/settings/apps/api" in banner
    assert client.get("/api/status").json()["lastFailure"]["code"] == "trakt_app_rejected"
