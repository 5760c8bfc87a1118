"""The HTML pages and their security: login, session cookie, CSRF, no secrets shown.

Both engines via the `settings` fixture; upstreams are the in-process fakes of `World`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain.values import SourceName
from anitrakt.store.progress import set_progress
from anitrakt.store.system_config import set_config
from anitrakt.store.titles import save_titles
from anitrakt.usecases.scheduler import RETRY_AFTER_FAILURE
from anitrakt.usecases.sources.index import CACHE_KEYS
from anitrakt.usecases.sources.refresh import CacheMeta
from anitrakt.usecases.sync.status import SyncFailure, record_failure
from sync_world import World
from web_client import world_client

API_TOKEN = "api-token-PAGES-0123456789"
PAGES = {
    "/": [
        "update-fribbs",
        "update-otaku",
        "count-fribbs",
        "status-manual",
        "next-run",
        "trakt-card",
        "progress-table",
    ],
    "/sync": [
        "single-form",
        "single-anilist",
        "dry-run",
        "full-run",
        "completed-preview",
        "completed-run",
        "completed-table",
        "watching-preview",
        "watching-table",
        "device-start",
        "code-form",
        "code-input",
    ],
    "/mappings": ["mapping-search", "manual-table", "auto-table", "unmapped-table", "find-panel"],
    "/manual": [
        "manual-form",
        "anilistId",
        "traktId",
        "season",
        "offset",
        "error-anilistId",
        "manual-submit",
        "manual-result",
    ],
    "/overrides": ["override-form", "ov-traktId", "ov-abs", "overrides-table", "overrides-help"],
    "/logs": ["log-level", "log-live", "log-table", "log-state"],
}
SHOW_TRAKT = 4242


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = World(sessions, settings)
    w.trakt.add_show(SHOW_TRAKT, "Frieren", seasons={1: 28})
    return w


@pytest.fixture
def open_client(world: World) -> Iterator[TestClient]:
    with world_client(world) as client:
        yield client


@pytest.fixture
def token_client(world: World) -> Iterator[TestClient]:
    with world_client(world, anitrakt_api_token=SecretStr(API_TOKEN)) as client:
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "page has no CSRF meta tag"
    return found.group(1)


def _login(client: TestClient, token: str = API_TOKEN, next_path: str = "/") -> object:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"token": token, "csrf_token": _csrf(page.text), "next": next_path},
        follow_redirects=False,
    )


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_with_its_key_elements(open_client: TestClient, path: str) -> None:
    response = open_client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for element in PAGES[path]:
        assert f'id="{element}"' in response.text, element
    assert 'aria-live="polite"' in response.text or path == "/"
    assert '<nav id="nav"' in response.text


def test_static_assets_are_served(open_client: TestClient) -> None:
    assert open_client.get("/static/app.js").status_code == 200
    assert open_client.get("/static/app.css").status_code == 200


def test_dashboard_shows_never_and_connected_trakt(open_client: TestClient) -> None:
    html = open_client.get("/").text

    assert 'id="status-manual" >Never' in html or 'id="status-manual">Never' in html
    assert 'data-connected="true"' in html
    assert 'id="trakt-expires"' in html
    assert 'id="connect-trakt"' not in html


def test_login_page_without_token_goes_straight_to_the_app(open_client: TestClient) -> None:
    response = open_client.get("/login", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("path", list(PAGES))
def test_with_a_token_pages_redirect_to_login(token_client: TestClient, path: str) -> None:
    response = token_client.get(path, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_api_without_credentials_is_401_but_health_is_open(token_client: TestClient) -> None:
    assert token_client.get("/api/status").status_code == 401
    assert token_client.get("/api/health").status_code == 200
    assert token_client.get("/login").status_code == 200


def test_wrong_token_shows_an_error(token_client: TestClient) -> None:
    response = _login(token_client, token="nope")

    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "Wrong token." in response.text  # type: ignore[attr-defined]
    assert token_client.get("/", follow_redirects=False).status_code == 303


def test_login_without_csrf_is_refused(token_client: TestClient) -> None:
    response = token_client.post(
        "/login", data={"token": API_TOKEN, "csrf_token": "forged"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "anitrakt_session" not in response.headers.get("set-cookie", "")


def test_right_token_sets_a_safe_cookie_and_pages_render(token_client: TestClient) -> None:
    response = _login(token_client, next_path="/logs")

    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/logs"  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"].lower()  # type: ignore[attr-defined]
    assert "anitrakt_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    for path in PAGES:
        assert token_client.get(path).status_code == 200, path
    assert 'id="logout-button"' in token_client.get("/").text


def test_login_refuses_open_redirects(token_client: TestClient) -> None:
    response = _login(token_client, next_path="//evil.example/")
    assert response.headers["location"] == "/"  # type: ignore[attr-defined]


def test_session_cookie_api_and_csrf(token_client: TestClient) -> None:
    _login(token_client)
    csrf = _csrf(token_client.get("/overrides").text)
    override = {"traktId": SHOW_TRAKT, "abs": 3, "season": 1, "episode": 3}

    assert token_client.get("/api/status").status_code == 200
    no_csrf = token_client.post("/api/overrides", json=override)
    assert no_csrf.status_code == 403
    assert "CSRF" in no_csrf.json()["error"]
    wrong = token_client.post("/api/overrides", json=override, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    ok = token_client.post("/api/overrides", json=override, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    assert token_client.get("/api/overrides").json()["count"] == 1


def test_cross_origin_post_is_refused_even_with_csrf(token_client: TestClient) -> None:
    _login(token_client)
    csrf = _csrf(token_client.get("/").text)
    response = token_client.post(
        "/api/refresh-fribbs?check=1",
        headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"},
    )
    assert response.status_code == 403


def test_bearer_works_for_scripts_without_csrf(world: World) -> None:
    with world_client(world, anitrakt_api_token=SecretStr(API_TOKEN)) as client:
        auth = {"Authorization": f"Bearer {API_TOKEN}"}
        response = client.post(
            "/api/overrides",
            json={"traktId": SHOW_TRAKT, "abs": 1, "season": 1, "episode": 1},
            headers=auth,
        )
        assert response.status_code == 200
        assert client.get("/api/status", headers=auth).status_code == 200
        bad = client.get("/api/status", headers={"Authorization": "Bearer wrong"})
        assert bad.status_code == 401


def test_logout_clears_the_session(token_client: TestClient) -> None:
    _login(token_client)
    csrf = _csrf(token_client.get("/").text)

    forged = token_client.post("/logout", data={"csrf_token": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    response = token_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert token_client.get("/", follow_redirects=False).status_code == 303
    assert token_client.get("/api/status").status_code == 401


def test_a_session_of_another_token_is_rejected(world: World) -> None:
    with world_client(world, anitrakt_api_token=SecretStr(API_TOKEN)) as first:
        _login(first)
        cookie = first.cookies.get("anitrakt_session")
    assert cookie
    with world_client(world, anitrakt_api_token=SecretStr("another-token-987654321")) as second:
        second.cookies.set("anitrakt_session", cookie)
        assert second.get("/api/status").status_code == 401


def test_open_mode_csrf_double_submit(open_client: TestClient) -> None:
    csrf = _csrf(open_client.get("/overrides").text)
    body = {"traktId": SHOW_TRAKT, "abs": 2, "season": 1, "episode": 2}

    # The browser now holds the double-submit cookie: writes must echo it.
    assert open_client.post("/api/overrides", json=body).status_code == 403
    ok = open_client.post("/api/overrides", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    cross = open_client.post(
        "/api/overrides", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://evil.test"}
    )
    assert cross.status_code == 403


def test_open_mode_cookieless_scripts_still_post(world: World) -> None:
    with world_client(world) as client:
        response = client.post(
            "/api/overrides", json={"traktId": SHOW_TRAKT, "abs": 5, "season": 1, "episode": 5}
        )
        assert response.status_code == 200
        cross = client.post(
            "/api/refresh-fribbs?check=1",
            data={"x": "1"},
            headers={"Origin": "http://evil.example"},
        )
        assert cross.status_code == 403  # what a cross-site form would send
        fetch = client.post("/api/refresh-fribbs?check=1", headers={"Sec-Fetch-Site": "cross-site"})
        assert fetch.status_code == 403


def test_no_secret_appears_in_any_page_or_api_response(world: World) -> None:
    secrets = {
        "anilist_access_token": "SECRET-anilist-access",
        "trakt_client_secret": "SECRET-trakt-client-secret",
        "trakt_access_token": "SECRET-trakt-access",
        "trakt_refresh_token": "SECRET-trakt-refresh",
        "anitrakt_api_token": API_TOKEN,
        "tmdb_api_key": "SECRET-tmdb-key",
    }
    stored = (world.tokens.access_token, world.tokens.refresh_token)
    updates = {name: SecretStr(value) for name, value in secrets.items()}
    with world_client(world, **updates) as client:
        pages = [client.get("/login").text]
        _login(client)
        pages += [client.get(path).text for path in PAGES]
        pages += [
            client.get(path).text
            for path in ("/api/status", "/api/trakt-auth", "/api/mappings", "/api/logs")
        ]
    for text in pages:
        for value in (*secrets.values(), *stored):
            assert value not in text


def test_trakt_search_returns_shows_from_the_fake(open_client: TestClient) -> None:
    response = open_client.get("/api/trakt-search", params={"query": "Frieren"})

    assert response.status_code == 200
    hits = response.json()
    assert any(h["traktId"] == SHOW_TRAKT and h["title"] == "Frieren" for h in hits)
    assert set(hits[0]) == {"traktId", "title", "year", "slug"}


def test_trakt_search_needs_a_query(open_client: TestClient) -> None:
    assert open_client.get("/api/trakt-search").status_code == 400
    assert open_client.get("/api/trakt-search", params={"query": ""}).status_code == 400


def test_recent_progress_names_each_entry_and_links_it_to_anilist(
    world: World, open_client: TestClient
) -> None:
    with world.sessions.begin() as session:
        set_progress(session, 154587, 5)
        save_titles(session, {154587: "Frieren: Beyond Journey's End"})

    html = open_client.get("/").text

    row = re.search(r'<tr data-testid="progress-154587">.*?</tr>', html, re.S)
    assert row is not None
    assert "Frieren: Beyond Journey&#39;s End" in row.group(0)
    assert 'href="https://anilist.co/anime/154587"' in row.group(0)


def test_the_dashboard_checklist_names_the_anilist_account_and_what_is_left(
    world: World, open_client: TestClient
) -> None:
    before = open_client.get("/").text
    assert 'id="setup" data-complete="false"' in before
    assert "Getting started" in before
    assert re.search(r'data-testid="setup-sources" data-ok="false"', before)
    assert re.search(r'data-testid="setup-trakt-account" data-ok="true"', before)

    csrf = {"X-CSRF-Token": _csrf(before)}
    run = open_client.post("/api/full-sync", headers=csrf)  # it reads who the account is
    assert run.status_code == 200, run.text

    after = open_client.get("/").text
    row = re.search(r'<li data-testid="setup-anilist".*?</li>', after, re.S)
    assert row is not None
    assert world.user.name in row.group(0)


def test_counts_on_the_dashboard_are_written_for_people(
    world: World, open_client: TestClient
) -> None:
    meta = CacheMeta(18265, "https://example.test/f.json", "0" * 64, 1, "list", 0, "", 1)
    with world.sessions.begin() as session:
        set_config(session, CACHE_KEYS[SourceName.FRIBB], meta.to_json())

    html = open_client.get("/").text

    assert '<dd id="count-fribbs">18,265</dd>' in html


def test_the_next_scheduled_run_is_the_real_one(world: World, open_client: TestClient) -> None:
    fresh = open_client.get("/").text
    assert "Due now: <code>anitrakt serve</code> starts it at its next check" in fresh

    failed_at = datetime.now(UTC).replace(microsecond=0)  # the app runs on the real clock
    with world.sessions.begin() as session:
        record_failure(session, SyncFailure(failed_at, "full sync", "AniList is down", None, True))

    after = open_client.get("/").text
    retry = re.search(r'<time id="next-run" datetime="([^"]+)"', after)
    assert retry is not None
    assert retry.group(1) == (failed_at + RETRY_AFTER_FAILURE).isoformat()
    assert "waiting 30 minutes after the failed automated run" in after
    assert "Due now" not in after
