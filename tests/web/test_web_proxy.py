"""Behind a reverse proxy (issue 12): the UI works through a trusted one, nobody else is believed.

`fakes.proxy.ForwardingProxy` stands where nginx or Caddy would: it rewrites Host to
the app's own `127.0.0.1:8000` and tells the browser's scheme, Host and address in
`X-Forwarded-*`. The browser is a TestClient at `https://anitrakt.example.com` that
sends what Chromium sends from the app's own pages (`Origin`, `Sec-Fetch-Site`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings, load_settings
from anitrakt.errors import ConfigError
from anitrakt.store.logs import list_logs
from anitrakt.store.overrides import list_overrides
from anitrakt.web.app import create_app
from anitrakt.web.forwarding import HostPolicy, split_host
from anitrakt.web.throttle import FAILURE_LIMIT, FailureThrottle
from clocks import ManualClock
from fakes.proxy import ForwardingProxy

PUBLIC = "https://anitrakt.example.com"
PROXY_ADDRESS = "172.18.0.2"
BROWSER = ("198.51.100.23", 51000)
TOKEN = "proxy-test-token-0123456789abcdef"
OVERRIDE = {"traktId": 4242, "abs": 3, "season": 1, "episode": 3}
SAME_ORIGIN = {"Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"}


def _settings(settings: Settings, *, trusted: bool, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "anitrakt_allowed_hosts": ("anitrakt.example.com",),
            "anitrakt_trusted_proxies": (ip_network("172.18.0.0/16"),) if trusted else (),
            **extra,
        }
    )


def _behind_proxy(app_settings: Settings, **kwargs: Any) -> TestClient:
    proxy = ForwardingProxy(create_app(app_settings, **kwargs), address=PROXY_ADDRESS)
    return TestClient(proxy, base_url=PUBLIC, client=BROWSER)


def _csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.fixture
def trusted(settings: Settings) -> Iterator[TestClient]:
    with _behind_proxy(_settings(settings, trusted=True)) as client:
        yield client


def test_the_ui_s_writes_work_behind_a_trusted_proxy(
    trusted: TestClient, sessions: sessionmaker[Session]
) -> None:
    csrf = _csrf(trusted.get("/overrides").text)

    response = trusted.post(
        "/api/overrides", json=OVERRIDE, headers={**SAME_ORIGIN, "X-CSRF-Token": csrf}
    )

    assert response.status_code == 200, response.text
    with sessions() as session:
        assert [o.abs for o in list_overrides(session)] == [3]


def test_login_behind_a_trusted_https_proxy_sets_a_secure_cookie(settings: Settings) -> None:
    app_settings = _settings(settings, trusted=True, anitrakt_api_token=SecretStr(TOKEN))
    with _behind_proxy(app_settings) as client:
        csrf = _csrf(client.get("/login").text)
        response = client.post(
            "/login",
            data={"token": TOKEN, "csrf_token": csrf, "next": "/sync"},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/sync"
        cookie = response.headers["set-cookie"].lower()
        assert "anitrakt_session=" in cookie
        assert "secure" in cookie
        write_csrf = _csrf(client.get("/overrides").text)
        wrote = client.post(
            "/api/overrides", json=OVERRIDE, headers={**SAME_ORIGIN, "X-CSRF-Token": write_csrf}
        )
        assert wrote.status_code == 200, wrote.text


def test_a_trusted_proxy_still_gets_foreign_hosts_and_sites_refused(trusted: TestClient) -> None:
    rebound = trusted.get("/api/mappings", headers={"Host": "rebind.attacker.example"})
    assert rebound.status_code == 400
    cross = trusted.get("/api/full-sync", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403


def test_forwarded_headers_from_an_untrusted_proxy_are_ignored(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    # The same proxy, not listed in ANITRAKT_TRUSTED_PROXIES: the app sees Host
    # 127.0.0.1:8000 and plain http, so the browser's Origin is another origin.
    with _behind_proxy(_settings(settings, trusted=False)) as client:
        csrf = _csrf(client.get("/overrides").text)
        response = client.post(
            "/api/overrides", json=OVERRIDE, headers={**SAME_ORIGIN, "X-CSRF-Token": csrf}
        )
    assert response.status_code == 403
    with sessions() as session:
        assert list_overrides(session) == []


def test_a_direct_client_cannot_claim_forwarded_headers(settings: Settings) -> None:
    app_settings = _settings(settings, trusted=True, anitrakt_api_token=SecretStr(TOKEN))
    app = create_app(app_settings)
    # Straight to the app from an address that is not a trusted proxy.
    with TestClient(app, base_url="http://127.0.0.1:8000", client=BROWSER) as client:
        spoofed = {"X-Forwarded-Host": "anitrakt.example.com", "X-Forwarded-Proto": "https"}
        csrf = _csrf(client.get("/login", headers=spoofed).text)
        response = client.post(
            "/login",
            data={"token": TOKEN, "csrf_token": csrf},
            headers=spoofed,
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert "secure" not in response.headers["set-cookie"].lower()
        evil = client.get("/api/health", headers={"X-Forwarded-Host": "rebind.attacker.example"})
        assert evil.status_code == 200  # the header means nothing from this peer


def test_throttling_counts_the_browser_behind_a_trusted_proxy_not_the_proxy(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    app_settings = _settings(settings, trusted=True, anitrakt_api_token=SecretStr(TOKEN))
    app = create_app(app_settings, throttle=FailureThrottle(clock=ManualClock()))
    proxy = ForwardingProxy(app, address=PROXY_ADDRESS)
    with (
        TestClient(proxy, base_url=PUBLIC, client=BROWSER) as attacker,
        TestClient(proxy, base_url=PUBLIC, client=("192.0.2.50", 52000)) as neighbour,
    ):
        for n in range(FAILURE_LIMIT):
            attacker.get("/api/status", headers={"Authorization": f"Bearer wrong-{n}"})
        spoof = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "192.0.2.99"}
        # Claiming another address in front of the proxy's own entry changes nothing.
        assert attacker.get("/api/status", headers=spoof).status_code == 429
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert neighbour.get("/api/status", headers=bearer).status_code == 200
    with sessions() as session:
        [row] = [r.message for r in list_logs(session, limit=20) if r.level == "warn"]
    assert BROWSER[0] in row
    assert PROXY_ADDRESS not in row


# --- the settings and the Host parsing behind it ------------------------------------------


def test_allowed_hosts_and_trusted_proxies_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANITRAKT_ALLOWED_HOSTS", "Anitrakt.Example.com., .home.arpa [::1]")
    monkeypatch.setenv("ANITRAKT_TRUSTED_PROXIES", "172.18.0.0/16, 10.0.0.2 ::1")

    loaded = load_settings()

    assert loaded.anitrakt_allowed_hosts == ("anitrakt.example.com", ".home.arpa", "::1")
    assert [str(n) for n in loaded.anitrakt_trusted_proxies] == [
        "172.18.0.0/16",
        "10.0.0.2/32",
        "::1/128",
    ]
    assert HostPolicy.of(loaded).allows("ANITRAKT.example.com:443")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ANITRAKT_ALLOWED_HOSTS", "https://anitrakt.example.com"),
        ("ANITRAKT_ALLOWED_HOSTS", "anitrakt.example.com:8443"),
        ("ANITRAKT_ALLOWED_HOSTS", "*"),
        ("ANITRAKT_TRUSTED_PROXIES", "nginx"),
        ("ANITRAKT_TRUSTED_PROXIES", "10.0.0.0/33"),
    ],
)
def test_a_bad_host_or_proxy_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert variable in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("example.com", ("example.com", None)),
        ("Example.COM.:8080", ("example.com", 8080)),
        ("[::1]:8000", ("::1", 8000)),
        ("::1", ("::1", None)),
        ("example.com:0", None),
        ("example.com:http", None),
        ("[::1", None),
        ("user@example.com", None),
        ("", None),
    ],
)
def test_host_headers_are_parsed_strictly(header: str, expected: Any) -> None:
    assert split_host(header) == expected
