"""The web edge (issue 12): what a hostile page, a re-bound DNS name or a giant body can do.

Each test sends what an attacker would and asserts what the app answers and what it
did not do (no upstream request, nothing stored, no body read). The app runs with its
lifespan through `TestClient`, on both engines, the upstreams being the in-process
fakes of `World`. See docs/reliability.md, "What an attacker can try".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store.overrides import list_overrides
from anitrakt.web.app import create_app
from anitrakt.web.edge import CONTENT_SECURITY_POLICY, MAX_BODY_BYTES
from fakes.proxy import call_asgi
from sync_world import SPLIT, World

TOKEN = "edge-test-token-0123456789abcdef"
BASE = "http://127.0.0.1:8000"
PAGES = ["/", "/sync", "/mappings", "/manual", "/overrides", "/logs", "/docs"]
# What an <img>, a link or a form on another site makes the browser send.
CROSS_SITE = {
    "Sec-Fetch-Site": "cross-site",
    "Sec-Fetch-Mode": "no-cors",
    "Sec-Fetch-Dest": "image",
}
MUTATING_GETS = [
    "/api/full-sync",
    "/api/cron",
    "/api/refresh-otaku",
    "/api/refresh-fribbs",
    f"/api/sync?anilistId={SPLIT}",
    "/api/completed-sync",
    "/api/watching-sync",
    "/api/trakt-auth/device",
]


class CountingTransport(httpx.BaseTransport):
    """Counts what reaches the upstreams (the fakes behind `inner`)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return self.inner.handle_request(request)


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = World(sessions, settings).small_library()
    w.watched(SPLIT, "1 - 24")
    return w


@pytest.fixture
def upstream(world: World) -> CountingTransport:
    return CountingTransport(world.transport())


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(world: World, upstream: CountingTransport) -> Iterator[MakeClient]:
    """A client at 127.0.0.1:8000 (the default listen address); keywords update settings."""
    clients: list[TestClient] = []

    def make(base_url: str = BASE, **updates: Any) -> TestClient:
        app = create_app(world.settings.model_copy(update=updates), upstream_transport=upstream)
        client = TestClient(app, base_url=base_url).__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


# --- 1. mutating GETs from another site ------------------------------------------------


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
@pytest.mark.parametrize("path", MUTATING_GETS)
def test_a_cross_site_get_that_changes_state_is_refused_and_runs_nothing(
    make_client: MakeClient, world: World, upstream: CountingTransport, path: str, site: str
) -> None:
    client = make_client()

    response = client.get(path, headers={**CROSS_SITE, "Sec-Fetch-Site": site})

    assert response.status_code == 403
    assert response.json()["error"] == "cross-site request refused"
    assert upstream.calls == 0
    assert world.history() == Counter()


def test_the_same_get_without_fetch_metadata_still_runs(
    make_client: MakeClient, world: World
) -> None:
    # curl, cron jobs and bookmarks (Sec-Fetch-Site: none) keep working.
    client = make_client()

    assert client.get("/api/full-sync").status_code == 200
    assert sum(world.history().values()) == 24
    assert client.get("/api/cron", headers={"Sec-Fetch-Site": "none"}).status_code == 200
    same = client.get("/api/refresh-fribbs?check=1", headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200


def test_cross_site_reads_and_page_links_still_work(make_client: MakeClient) -> None:
    client = make_client()

    # A read changes nothing, and another site's script cannot see the answer (no CORS).
    assert client.get("/api/status", headers=CROSS_SITE).status_code == 200
    navigate = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    assert client.get("/", headers=navigate).status_code == 200


def test_a_cross_site_write_is_refused_even_for_a_bearer(make_client: MakeClient) -> None:
    client = make_client(anitrakt_api_token=SecretStr(TOKEN))
    body = {"traktId": 3001, "abs": 1, "season": 1, "episode": 1}

    response = client.post(
        "/api/overrides",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example"},
    )

    assert response.status_code == 403


# --- 2. Host names (DNS rebinding) --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/overrides", {"json": {"traktId": 1, "abs": 1, "season": 1, "episode": 1}}),
        ("GET", "/api/mappings", {}),
        ("GET", "/", {}),
        ("GET", "/api/health", {}),
    ],
)
def test_a_rebound_host_name_reaches_no_route(
    make_client: MakeClient, sessions: sessionmaker[Session], method: str, path: str, kwargs: Any
) -> None:
    client = make_client(anitrakt_allowed_hosts=())
    evil = "rebind.attacker.example:8000"

    response = client.request(
        method, path, headers={"Host": evil, "Origin": f"http://{evil}"}, **kwargs
    )

    assert response.status_code == 400
    assert "Host" in response.json()["error"]
    assert "attacker" not in response.text
    with sessions() as session:
        assert list_overrides(session) == []


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:8000",
        "localhost:8000",
        "LOCALHOST",
        "[::1]:8000",
        "192.168.1.20:8000",
        "10.0.0.5",
    ],
)
def test_loopback_names_and_addresses_are_answered(make_client: MakeClient, host: str) -> None:
    client = make_client(anitrakt_allowed_hosts=())
    assert client.get("/api/health", headers={"Host": host}).status_code == 200


def test_configured_and_listen_host_names_are_answered(make_client: MakeClient) -> None:
    client = make_client(
        anitrakt_host="nas.lan", anitrakt_allowed_hosts=("anitrakt.example.com", ".home.arpa")
    )
    for host in ("nas.lan:8000", "anitrakt.example.com", "tv.home.arpa", "home.arpa"):
        assert client.get("/api/health", headers={"Host": host}).status_code == 200, host
    for host in ("example.com", "anitrakt.example.com.evil.test", "evilhome.arpa", "a b", ""):
        assert client.get("/api/health", headers={"Host": host}).status_code == 400, host


# --- 3 and 8. framing and the security headers -----------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        *[("GET", page) for page in PAGES],
        ("GET", "/api/status"),
        ("GET", "/api/health"),
        ("GET", "/static/app.js"),
        ("GET", "/nope"),
        ("POST", "/api/status"),
        ("GET", "/openapi.json"),
    ],
)
def test_every_answer_carries_the_security_headers(
    make_client: MakeClient, method: str, path: str
) -> None:
    response = make_client().request(method, path)

    _assert_security_headers(response)


def test_the_edge_s_own_refusals_carry_them_too(make_client: MakeClient) -> None:
    client = make_client(anitrakt_api_token=SecretStr(TOKEN))
    _assert_security_headers(client.get("/api/status"))  # 401
    _assert_security_headers(client.get("/api/health", headers={"Host": "evil.example"}))  # 400
    _assert_security_headers(client.get("/login", follow_redirects=False))


def _assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_style_or_handler(make_client: MakeClient, path: str) -> None:
    html = make_client().get(path).text

    for attributes, content in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attributes
        assert not content.strip(), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html), "inline style"
    assert "<style" not in html


# --- 4. bodies: the token first, then a size cap -----------------------------------------

BIG = b'{"anilistId": 21, "traktId": "' + b"x" * (2 * MAX_BODY_BYTES) + b'"}'


@pytest.mark.parametrize(
    "content",
    [pytest.param(b"{not json", id="invalid-json"), pytest.param(BIG, id="2-MB")],
)
def test_an_unauthenticated_body_is_refused_before_it_is_parsed(
    make_client: MakeClient, content: bytes
) -> None:
    client = make_client(anitrakt_api_token=SecretStr(TOKEN))

    response = client.post(
        "/api/manual-map", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unauthenticated_body_is_never_read(make_client: MakeClient) -> None:
    client = make_client(anitrakt_api_token=SecretStr(TOKEN))
    chunk = b"x" * 65536
    # 24 MB announced and offered in 384 chunks; the edge must not pull a single one.
    headers = [("content-type", "application/json"), ("content-length", str(384 * len(chunk)))]

    answer = call_asgi(client.app, "POST", "/api/manual-map", headers=headers, chunks=[chunk] * 384)

    assert answer.status == 401
    assert answer.chunks_read == 0


def test_an_oversize_streamed_body_stops_being_read_at_the_cap(make_client: MakeClient) -> None:
    client = make_client(anitrakt_api_token=SecretStr(TOKEN))
    chunk = b"x" * 65536
    headers = [("content-type", "application/json"), ("authorization", f"Bearer {TOKEN}")]

    # No Content-Length (chunked upload): counted while it streams in.
    answer = call_asgi(client.app, "POST", "/api/manual-map", headers=headers, chunks=[chunk] * 384)

    assert answer.status == 413
    assert answer.chunks_read == MAX_BODY_BYTES // len(chunk) + 1
    assert b"larger than" in answer.body
    assert answer.headers["content-type"] == "application/json"


def test_an_announced_oversize_body_is_refused_before_reading(make_client: MakeClient) -> None:
    client = make_client(anitrakt_api_token=SecretStr(TOKEN))
    chunk = b"x" * 65536
    headers = [
        ("content-type", "application/json"),
        ("authorization", f"Bearer {TOKEN}"),
        ("content-length", str(384 * len(chunk))),
    ]

    answer = call_asgi(client.app, "POST", "/api/manual-map", headers=headers, chunks=[chunk] * 384)

    assert answer.status == 413
    assert answer.chunks_read == 0


def test_the_cap_in_default_mode_and_a_body_at_the_cap(make_client: MakeClient) -> None:
    client = make_client()
    big = client.post("/api/manual-map", content=BIG, headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    assert "larger than" in big.json()["error"]

    padded = b'{"anilistId": "abc", "x": "' + b" " * (MAX_BODY_BYTES - 40) + b'"}'
    assert len(padded) <= MAX_BODY_BYTES
    at_cap = client.post(
        "/api/manual-map", content=padded, headers={"Content-Type": "application/json"}
    )
    assert at_cap.status_code == 400  # read and validated as usual
    assert at_cap.json()["error"] == "traktId is required"


def test_login_form_bodies_are_capped_too(make_client: MakeClient) -> None:
    client = make_client(anitrakt_api_token=SecretStr(TOKEN))
    response = client.post("/login", data={"token": "x" * (2 * MAX_BODY_BYTES)})
    assert response.status_code == 413


# --- 12. HEAD -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/sync", "/api/health", "/api/status", "/static/app.css"])
def test_head_answers_like_get_without_a_body(make_client: MakeClient, path: str) -> None:
    client = make_client()

    head = client.head(path)
    get = client.get(path)

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_head_on_login_answers_for_uptime_monitors(make_client: MakeClient) -> None:
    client = make_client(anitrakt_api_token=SecretStr(TOKEN))
    head = client.head("/login")
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) > 0


def test_head_never_runs_a_route_that_changes_state(
    make_client: MakeClient, world: World, upstream: CountingTransport
) -> None:
    client = make_client()

    response = client.head("/api/full-sync")

    assert response.status_code == 405
    assert upstream.calls == 0
    assert world.history() == Counter()
