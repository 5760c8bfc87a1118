"""Failed sign-ins per address (issue 12, point 5): wrong tokens, then 429 until the window passes.

The throttle's clock is a ManualClock the tests move, so no test waits. Both kinds of
guess count: wrong Bearer tokens on the API and wrong tokens in the login form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store.logs import list_logs
from anitrakt.web.app import create_app
from anitrakt.web.throttle import FAILURE_LIMIT, FAILURE_WINDOW_SECONDS, FailureThrottle, client_key
from clocks import ManualClock

TOKEN = "throttle-test-token-0123456789abc"
ATTACKER = ("203.0.113.9", 41000)
NEIGHBOUR = ("198.51.100.4", 41000)
GUESSES = [f"guess-{n:02d}-wrong-token" for n in range(FAILURE_LIMIT)]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"anitrakt_api_token": SecretStr(TOKEN)})


@pytest.fixture
def attacker(app_settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    app = create_app(app_settings, throttle=FailureThrottle(clock=clock))
    with TestClient(app, client=ATTACKER) as client:
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


def _warn_rows(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return [row.message for row in list_logs(session, limit=100) if row.level == "warn"]


def test_wrong_bearer_tokens_lock_the_address_out_then_the_right_one_passes(
    attacker: TestClient, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    for guess in GUESSES:
        assert attacker.get("/api/status", headers=_bearer(guess)).status_code == 401

    locked = attacker.get("/api/status", headers=_bearer("one-more-guess"))
    right_too_soon = attacker.get("/api/status", headers=_bearer(TOKEN))

    assert locked.status_code == 429
    assert "too many failed sign-ins" in locked.json()["error"]
    assert int(locked.headers["retry-after"]) == FAILURE_WINDOW_SECONDS
    assert right_too_soon.status_code == 429
    clock.advance(FAILURE_WINDOW_SECONDS - 1)
    assert int(attacker.get("/api/status", headers=_bearer(TOKEN)).headers["retry-after"]) == 1
    clock.advance(1)
    assert attacker.get("/api/status", headers=_bearer(TOKEN)).status_code == 200


def test_one_warn_row_per_burst_and_never_the_token_tried(
    attacker: TestClient, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    for guess in GUESSES:
        attacker.get("/api/status", headers=_bearer(guess))
    for _ in range(5):
        attacker.get("/api/status", headers=_bearer("still-guessing"))

    [row] = _warn_rows(sessions)
    assert ATTACKER[0] in row
    assert "failed sign-ins" in row
    for tried in (*GUESSES, "still-guessing", TOKEN):
        assert tried not in row

    clock.advance(FAILURE_WINDOW_SECONDS)
    for guess in GUESSES:
        attacker.get("/api/status", headers=_bearer(guess))
    assert len(_warn_rows(sessions)) == 2  # a second burst, a second row


def test_failures_spread_over_more_than_the_window_never_lock(
    attacker: TestClient, clock: ManualClock
) -> None:
    for guess in GUESSES * 3:
        assert attacker.get("/api/status", headers=_bearer(guess)).status_code == 401
        clock.advance(FAILURE_WINDOW_SECONDS / (FAILURE_LIMIT - 1) + 1)


def test_wrong_logins_lock_the_form_and_say_how_long(
    attacker: TestClient, sessions: sessionmaker[Session]
) -> None:
    csrf = _csrf(attacker.get("/login").text)
    for guess in GUESSES:
        wrong = attacker.post("/login", data={"token": guess, "csrf_token": csrf})
        assert wrong.status_code == 401
        assert "Wrong token." in wrong.text

    locked = attacker.post(
        "/login", data={"token": TOKEN, "csrf_token": csrf}, follow_redirects=False
    )

    assert locked.status_code == 429
    assert locked.headers["retry-after"] == str(int(FAILURE_WINDOW_SECONDS))
    assert "try again in" in locked.text
    assert "anitrakt_session" not in locked.headers.get("set-cookie", "")
    [row] = _warn_rows(sessions)
    assert all(guess not in row for guess in GUESSES)


def test_a_locked_address_does_not_lock_others_or_a_logged_in_browser(
    app_settings: Settings, clock: ManualClock
) -> None:
    throttle = FailureThrottle(clock=clock)
    app = create_app(app_settings, throttle=throttle)
    with TestClient(app, client=ATTACKER) as browser, TestClient(app, client=NEIGHBOUR) as other:
        csrf = _csrf(browser.get("/login").text)
        browser.post("/login", data={"token": TOKEN, "csrf_token": csrf})
        for guess in GUESSES:
            browser.get("/api/status", headers=_bearer(guess))
        assert browser.get("/api/status", headers=_bearer(TOKEN)).status_code == 429

        # The session cookie tries no token, so the person logged in from there carries on.
        assert browser.get("/api/status").status_code == 200
        assert other.get("/api/status", headers=_bearer(TOKEN)).status_code == 200


def test_ipv6_addresses_count_per_64_block() -> None:
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:203.0.113.9") == client_key("203.0.113.9")
    assert client_key(None) == "unknown"


def test_the_throttle_forgets_idle_addresses_when_full(clock: ManualClock) -> None:
    throttle = FailureThrottle(clock=clock, limit=2, max_clients=3)
    throttle.failed("10.0.0.1")
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") is not None
    clock.advance(FAILURE_WINDOW_SECONDS * 2)
    for n in range(2, 10):
        throttle.failed(f"10.0.0.{n}")
    assert len(throttle._clients) <= 3
