"""Server-side browser sessions (issue 12, point 7), on both engines.

A session is a row in `web_sessions`; the cookie holds a random id whose hash is the
row's key. Logout deletes the row, so a copy of the cookie dies with it; a token change
ends every session, also when the old token comes back later.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import utc_now
from anitrakt.config import Settings
from anitrakt.store.models import WebSession
from anitrakt.store.web_sessions import (
    add_web_session,
    delete_web_session,
    prune_web_sessions,
    web_session_alive,
)
from anitrakt.web.app import create_app

TOKEN_A = "session-token-A-0123456789abcdef"
TOKEN_B = "session-token-B-0123456789abcdef"


def _client(settings: Settings, token: str, base_url: str = "http://testserver") -> TestClient:
    app = create_app(settings.model_copy(update={"anitrakt_api_token": SecretStr(token)}))
    return TestClient(app, base_url=base_url)


def _login(client: TestClient, token: str) -> str:
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    response = client.post(
        "/login", data={"token": token, "csrf_token": csrf.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303
    cookie = client.cookies.get("anitrakt_session")
    assert cookie
    return cookie


@pytest.fixture
def client_a(settings: Settings) -> Iterator[TestClient]:
    with _client(settings, TOKEN_A) as client:
        yield client


def test_logout_ends_the_session_for_every_copy_of_the_cookie(
    client_a: TestClient, sessions: sessionmaker[Session]
) -> None:
    cookie = _login(client_a, TOKEN_A)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client_a.get("/").text)
    assert csrf
    assert client_a.get("/api/status").status_code == 200

    client_a.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)

    # An attacker who copied the cookie before logout replays it.
    client_a.cookies.set("anitrakt_session", cookie)
    assert client_a.get("/api/status").status_code == 401
    assert client_a.get("/", follow_redirects=False).status_code == 303
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WebSession)) == 0


def test_the_database_never_holds_the_cookie(
    client_a: TestClient, sessions: sessionmaker[Session]
) -> None:
    cookie = _login(client_a, TOKEN_A)

    with sessions() as session:
        [row] = session.scalars(sa.select(WebSession)).all()
    assert row.id_hash == hashlib.sha256(cookie.encode()).hexdigest()
    assert cookie not in (row.id_hash, row.token_fingerprint)
    assert TOKEN_A not in row.token_fingerprint
    assert timedelta(days=29) < row.expires_at - utc_now() <= timedelta(days=30)


def test_a_token_change_ends_every_session_even_when_the_old_token_returns(
    settings: Settings,
) -> None:
    with _client(settings, TOKEN_A) as first:
        cookie = _login(first, TOKEN_A)
    with _client(settings, TOKEN_B) as second:
        second.cookies.set("anitrakt_session", cookie)
        assert second.get("/api/status").status_code == 401
    with _client(settings, TOKEN_A) as back:
        back.cookies.set("anitrakt_session", cookie)
        assert back.get("/api/status").status_code == 401


def test_a_restart_with_the_same_token_keeps_sessions(settings: Settings) -> None:
    with _client(settings, TOKEN_A) as first:
        cookie = _login(first, TOKEN_A)
    with _client(settings, TOKEN_A) as again:
        again.cookies.set("anitrakt_session", cookie)
        assert again.get("/api/status").status_code == 200


@pytest.mark.parametrize(
    "forged",
    ["", "x" * 43, "a.b.c", "../../etc", "x" * 5000],
    ids=["empty", "unknown-id", "old-format", "path", "huge"],
)
def test_a_made_up_cookie_is_no_session(client_a: TestClient, forged: str) -> None:
    client_a.cookies.set("anitrakt_session", forged)
    assert client_a.get("/api/status").status_code == 401


def test_the_cookie_is_secure_over_https(settings: Settings) -> None:
    with _client(settings, TOKEN_A, base_url="https://testserver") as client:
        page = client.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()  # the CSRF cookie
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        response = client.post(
            "/login", data={"token": TOKEN_A, "csrf_token": csrf.group(1)}, follow_redirects=False
        )
    cookie = response.headers["set-cookie"].lower()
    assert "anitrakt_session=" in cookie
    assert "secure" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


def test_over_plain_http_the_cookie_is_not_marked_secure(client_a: TestClient) -> None:
    # A Secure cookie would never come back over http://127.0.0.1: loopback stays usable.
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client_a.get("/login").text)
    assert csrf
    response = client_a.post(
        "/login", data={"token": TOKEN_A, "csrf_token": csrf.group(1)}, follow_redirects=False
    )
    assert "secure" not in response.headers["set-cookie"].lower()
    assert client_a.get("/api/status").status_code == 200


# --- the repository ------------------------------------------------------------------


def test_repository_add_find_expire_delete_prune(session: Session) -> None:
    now = utc_now()
    add_web_session(session, "live", "fp-a", now + timedelta(days=1))
    add_web_session(session, "old", "fp-a", now - timedelta(seconds=1))
    add_web_session(session, "other", "fp-b", now + timedelta(days=1))
    session.flush()

    assert web_session_alive(session, "live", "fp-a", now)
    assert not web_session_alive(session, "live", "fp-b", now)
    assert not web_session_alive(session, "old", "fp-a", now)
    assert not web_session_alive(session, "missing", "fp-a", now)

    assert prune_web_sessions(session, "fp-a", now) == 2
    assert web_session_alive(session, "live", "fp-a", now)
    assert delete_web_session(session, "live")
    assert not delete_web_session(session, "live")
    assert not web_session_alive(session, "live", "fp-a", now)
