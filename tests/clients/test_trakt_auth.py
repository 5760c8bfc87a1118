"""Trakt authorization and tokens: what the person and the store end up with.

The fake Trakt runs in-process with separate API and auth hosts, so any OAuth request
sent to the API host fails. Time is a `ManualClock` shared with the fake. Tokens live in
`system_config` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.trakt import TraktClient
from anitrakt.clients.trakt_auth import REFRESH_MARGIN_SECONDS
from anitrakt.clients.trakt_oauth import (
    DEVICE_SLOW_DOWN_SECONDS,
    OOB_REDIRECT_URI,
    DeviceAuthFailed,
    code_challenge,
    new_code_verifier,
)
from anitrakt.config import Settings
from anitrakt.domain.trakt import (
    DeviceCode,
    EpisodePlay,
    HistoryItems,
    ShowPlays,
    TokenSet,
    TraktIds,
)
from anitrakt.errors import (
    AnitraktError,
    AuthExpired,
    ConflictError,
    InputError,
    TraktAppRejected,
)
from anitrakt.store.models import SystemConfig
from anitrakt.store.system_config import set_config
from anitrakt.store.tokens import (
    TRAKT_TOKEN_EXPIRES_AT,
    SqlTokenStore,
    load_tokens,
    refresh_guard,
    save_tokens,
)
from clocks import ManualClock
from fakes.trakt import FakeTrakt
from fakes.transport import SyncASGITransport
from waiting import HANG_GUARD

API_HOST = "api.trakt.test"
AUTH_HOST = "auth.trakt.test"
CLIENT_SECRET = "fake-client-secret"
WEEK = 604_800
FRIEREN = 100
WATCHED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


class OverlapTransport(httpx.BaseTransport):
    """Holds the first token request back for a moment to see whether a second arrives.

    If refreshes could overlap, the second client's refresh reaches the fake while the
    first is held, every time — the overlap tests then fail deterministically instead of
    depending on thread scheduling. With the locks working, nothing arrives and the first
    request goes on after `hold` seconds.
    """

    def __init__(self, inner: httpx.BaseTransport, hold: float = 0.3) -> None:
        self._inner = inner
        self._hold = hold
        self._seen = 0
        self._lock = threading.Lock()
        self._second = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            with self._lock:
                self._seen += 1
                first = self._seen == 1
            if first:
                self._second.wait(self._hold)
            else:
                self._second.set()
        return self._inner.handle_request(request)


class ScriptedClock(ManualClock):
    """A ManualClock that runs `actions[n]` after its n-th sleep (1-based): the person
    approving a device code while the client polls, without threads or real waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.actions: dict[int, Callable[[], None]] = {}

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        action = self.actions.get(len(self.sleeps))
        if action is not None:
            action()


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_trakt_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ID", "SECRET", "ACCESS_TOKEN", "REFRESH_TOKEN"):
        monkeypatch.delenv(f"TRAKT_CLIENT_{name}", raising=False)
        monkeypatch.delenv(f"TRAKT_{name}", raising=False)


@pytest.fixture
def clock() -> ScriptedClock:
    return ScriptedClock()


@pytest.fixture
def fake(clock: ManualClock) -> FakeTrakt:
    fake = FakeTrakt(clock=clock.time, api_host=API_HOST, auth_host=AUTH_HOST)
    fake.add_show(FRIEREN, "Frieren", year=2023, tmdb=209867, seasons={1: 28})
    return fake


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> SqlTokenStore:
    return SqlTokenStore(sessions)


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "trakt_client_id": "fake-client-id",
        "trakt_client_secret": CLIENT_SECRET,
        "trakt_api_url": f"http://{API_HOST}",
        "trakt_auth_url": f"http://{AUTH_HOST}",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


Factory = Callable[..., TraktClient]


@pytest.fixture
def make_client(fake: FakeTrakt, store: SqlTokenStore, clock: ManualClock) -> Iterator[Factory]:
    built: list[TraktClient] = []

    def factory(**overrides: Any) -> TraktClient:
        on_tokens = overrides.pop("on_tokens", None)
        transport = overrides.pop("transport", None) or SyncASGITransport(fake.app)
        client = TraktClient.from_settings(
            make_settings(**overrides),
            store,
            clock=clock,
            transport=transport,
            on_tokens=on_tokens,
        )
        built.append(client)
        return client

    yield factory
    for client in built:
        client.close()


def store_tokens(
    sessions: sessionmaker[Session], fake: FakeTrakt, clock: ManualClock, *, left: float = WEEK
) -> TokenSet:
    """A token pair valid at the fake, stored as expiring `left` seconds from now."""
    access, refresh = fake.issue_tokens()
    tokens = TokenSet(access, refresh, expires_at=clock.time() + left)
    with sessions.begin() as session:
        save_tokens(session, tokens)
    return tokens


def stored(sessions: sessionmaker[Session]) -> TokenSet | None:
    with sessions() as session:
        return load_tokens(session)


def bearer_tokens(fake: FakeTrakt) -> list[str]:
    return [
        r.headers["authorization"].removeprefix("Bearer ")
        for r in fake.requests
        if "authorization" in r.headers
    ]


def oauth_hosts(fake: FakeTrakt) -> set[str]:
    return {r.host for r in fake.requests if r.path.startswith("/oauth/")}


# -- code flow --------------------------------------------------------------------------


def test_the_code_flow_stores_all_three_keys_in_one_transaction(
    make_client: Factory,
    fake: FakeTrakt,
    sessions: sessionmaker[Session],
    engine: Engine,
    clock: ManualClock,
) -> None:
    client = make_client()
    link = httpx.URL(client.authorization_url("state-123"))
    assert (link.host, link.path) == (AUTH_HOST, "/oauth/authorize")
    assert link.params["redirect_uri"] == OOB_REDIRECT_URI
    assert link.params["state"] == "state-123"
    # The person opens the link and approves; the fake shows the code to paste.
    with httpx.Client(transport=SyncASGITransport(fake.app)) as browser:
        page = browser.get(str(link))
    match = re.search(r'<code id="code">(\w+)</code>', page.text)
    assert match is not None
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", count)
    try:
        tokens = client.exchange_code(match.group(1))
    finally:
        event.remove(engine, "commit", count)

    assert len(commits) == 1
    with sessions() as session:
        keys = set(session.scalars(sa.select(SystemConfig.key)))
    assert {"trakt:token", "trakt:refresh_token", TRAKT_TOKEN_EXPIRES_AT} <= keys
    assert stored(sessions) == tokens
    assert tokens.expires_at == clock.time() + WEEK
    assert tokens.access_token in fake.valid_access_tokens
    assert oauth_hosts(fake) == {AUTH_HOST}
    client.user_settings()
    assert bearer_tokens(fake) == [tokens.access_token]


def test_a_bad_code_is_the_callers_mistake_and_stores_nothing(
    make_client: Factory, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(InputError, match="authorization code") as caught:
        make_client().exchange_code("made-up-code")

    assert caught.value.field == "code"
    assert "made-up-code" not in str(caught.value)
    assert stored(sessions) is None


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        pytest.param(
            {"trakt_client_secret": None},
            "TRAKT_CLIENT_SECRET is not set: this app needs its secret",
            id="no-secret-and-no-pkce",
        ),
        pytest.param(
            {"trakt_client_secret": "wrong"},
            "check TRAKT_CLIENT_ID and TRAKT_CLIENT_SECRET",
            id="wrong-secret",
        ),
        pytest.param(
            {"trakt_client_id": "deleted-app"},
            "deletes free users' API apps",
            id="deleted-app",
        ),
    ],
)
def test_bad_app_credentials_say_what_to_do(
    make_client: Factory,
    fake: FakeTrakt,
    sessions: sessionmaker[Session],
    overrides: dict[str, Any],
    says: str,
) -> None:
    code = fake.create_authorization_code()

    with pytest.raises(TraktAppRejected, match=re.escape(says)) as caught:
        make_client(**overrides).exchange_code(code)

    assert "app.trakt.tv/settings/apps/api" in caught.value.message
    assert stored(sessions) is None


# -- PKCE and the optional secret ---------------------------------------------------------


def _approve(fake: FakeTrakt, link: str) -> str:
    """The person opens `link` and approves; returns the code Trakt shows them."""
    with httpx.Client(transport=SyncASGITransport(fake.app)) as browser:
        page = browser.get(link)
    match = re.search(r'<code id="code">(\w+)</code>', page.text)
    assert match is not None, page.text
    return match.group(1)


@pytest.mark.parametrize("secret", [CLIENT_SECRET, None], ids=["with-secret", "without-secret"])
def test_the_code_flow_uses_pkce_and_needs_no_secret(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], secret: str | None
) -> None:
    client = make_client(trakt_client_secret=secret)
    verifier = new_code_verifier()
    link = client.authorization_url("state-1", code_challenge(verifier))
    assert httpx.URL(link).params["code_challenge_method"] == "S256"

    tokens = client.exchange_code(_approve(fake, link), verifier)

    assert stored(sessions) == tokens
    [exchange] = fake.requests_to("/oauth/token")
    assert exchange.json["code_verifier"] == verifier
    assert ("client_secret" in exchange.json) is (secret is not None)


def test_a_pkce_code_with_the_wrong_verifier_is_refused(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session]
) -> None:
    client = make_client(trakt_client_secret=None)
    link = client.authorization_url("state-1", code_challenge(new_code_verifier()))

    with pytest.raises(InputError, match="authorization code"):
        client.exchange_code(_approve(fake, link), new_code_verifier())

    assert fake.pkce_failures == 1
    assert stored(sessions) is None


def test_the_verifier_matches_rfc_7636s_example() -> None:
    # RFC 7636 appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert 43 <= len(new_code_verifier()) <= 128


def test_environment_tokens_refresh_without_a_secret(
    make_client: Factory,
    fake: FakeTrakt,
    sessions: sessionmaker[Session],
    clock: ManualClock,
) -> None:
    access, refresh = fake.issue_tokens()
    fake.expire_access_token(access)
    client = make_client(
        trakt_client_secret=None, trakt_access_token=access, trakt_refresh_token=refresh
    )

    client.user_settings()

    [grant] = fake.requests_to("/oauth/token")
    assert "client_secret" not in grant.json
    renewed = stored(sessions)
    assert renewed is not None
    assert renewed.access_token in fake.valid_access_tokens


def test_an_app_that_needs_its_secret_says_so_when_it_is_missing(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session]
) -> None:
    fake.require_client_secret = True
    access, refresh = fake.issue_tokens()
    fake.expire_access_token(access)
    client = make_client(
        trakt_client_secret=None, trakt_access_token=access, trakt_refresh_token=refresh
    )

    with pytest.raises(TraktAppRejected, match="this app needs its secret"):
        client.user_settings()
    assert stored(sessions) is None


# -- where tokens come from -------------------------------------------------------------


def test_stored_tokens_win_over_the_environment(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    env_access, env_refresh = fake.issue_tokens()
    saved = store_tokens(sessions, fake, clock)
    client = make_client(trakt_access_token=env_access, trakt_refresh_token=env_refresh)

    client.user_settings()

    assert bearer_tokens(fake) == [saved.access_token]


def test_environment_tokens_start_things_and_their_refresh_is_stored(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    env_access, env_refresh = fake.issue_tokens()
    client = make_client(trakt_access_token=env_access, trakt_refresh_token=env_refresh)

    client.user_settings()
    fake.expire_access_token(env_access)
    client.user_settings()

    after = stored(sessions)
    assert after is not None
    assert after.access_token in fake.valid_access_tokens
    assert after.refresh_token != env_refresh
    assert fake.refresh_calls == 1
    assert bearer_tokens(fake) == [env_access, env_access, after.access_token]


def test_without_any_token_authenticated_calls_say_how_to_connect(
    make_client: Factory, fake: FakeTrakt
) -> None:
    client = make_client()

    assert client.search_shows("Frieren")  # public reads need no token
    with pytest.raises(AuthExpired, match="not connected"):
        client.watched_shows()
    assert fake.requests_to("/sync/watched/shows") == []


# -- refresh ----------------------------------------------------------------------------


def test_a_401_refreshes_once_and_the_request_succeeds(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    old = store_tokens(sessions, fake, clock)
    fake.expire_access_token(old.access_token)
    learned: list[TokenSet] = []
    client = make_client(on_tokens=learned.append)

    user = client.user_settings()

    new = stored(sessions)
    assert user.username == fake.username
    assert fake.refresh_calls == 1
    assert new is not None
    assert new.access_token != old.access_token
    assert new.expires_at == clock.time() + WEEK
    assert bearer_tokens(fake) == [old.access_token, new.access_token]
    assert learned[-1] == new
    assert oauth_hosts(fake) == {AUTH_HOST}


@pytest.mark.parametrize(
    ("left", "refreshes"),
    [
        pytest.param(3600, 1, id="an-hour-left"),
        pytest.param(REFRESH_MARGIN_SECONDS - 1, 1, id="just-under-a-day"),
        pytest.param(-60, 1, id="already-expired"),
        pytest.param(REFRESH_MARGIN_SECONDS + 60, 0, id="more-than-a-day"),
        pytest.param(WEEK, 0, id="a-week"),
    ],
)
def test_tokens_are_refreshed_before_they_expire(
    make_client: Factory,
    fake: FakeTrakt,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    left: float,
    refreshes: int,
) -> None:
    old = store_tokens(sessions, fake, clock, left=left)

    make_client().user_settings()

    assert fake.refresh_calls == refreshes
    [used] = bearer_tokens(fake)
    assert (used != old.access_token) == bool(refreshes)
    assert fake.requests_to("/users/settings")[0].headers["authorization"].endswith(used)


def test_an_unavailable_auth_host_does_not_stop_work_while_the_token_lasts(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    old = store_tokens(sessions, fake, clock, left=3600)
    fake.fail_next(5, status=503, path="/oauth/token")
    client = make_client()

    client.user_settings()  # refresh failed five times: the old token is still good
    assert bearer_tokens(fake) == [old.access_token]
    assert stored(sessions) == old
    client.user_settings()  # the auth host is back: refreshed now

    assert fake.refresh_calls == 1
    assert stored(sessions) != old


def test_legacy_tokens_without_an_expiry_refresh_only_on_a_401(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session]
) -> None:
    access, refresh = fake.issue_tokens()
    with sessions.begin() as session:  # as the previous app left them: two keys only
        set_config(session, "trakt:token", access)
        set_config(session, "trakt:refresh_token", refresh)
    client = make_client()

    client.user_settings()
    assert fake.refresh_calls == 0
    fake.expire_access_token(access)
    client.user_settings()

    assert fake.refresh_calls == 1
    after = stored(sessions)
    assert after is not None
    assert after.expires_at is not None


def test_a_refused_refresh_asks_to_reauthorize_and_never_loops(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    old = store_tokens(sessions, fake, clock)
    fake.revoke_tokens(old.access_token)  # the person disconnected the app on trakt.tv
    client = make_client()

    for _ in range(3):
        with pytest.raises(AuthExpired, match="re-authorize Trakt") as caught:
            client.user_settings()
        assert "invalid_grant" in str(caught.value) or "already refused" in str(caught.value)

    assert fake.refresh_calls == 1
    assert stored(sessions) == old


def test_a_second_401_after_a_refresh_is_auth_expired(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    store_tokens(sessions, fake, clock)
    fake.fail_next(2, status=401, path="/users/settings")

    with pytest.raises(AuthExpired, match="re-authorize Trakt"):
        make_client().user_settings()

    assert fake.refresh_calls == 1
    assert len(fake.requests_to("/users/settings")) == 2


def test_a_history_post_answered_401_is_sent_again_after_the_refresh_once(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    old = store_tokens(sessions, fake, clock)
    fake.expire_access_token(old.access_token)
    fake.enforce_rate_limits = True
    items = HistoryItems(shows=(ShowPlays(TraktIds(trakt=FRIEREN), (EpisodePlay(1, 1, WATCHED),)),))

    make_client().add_to_history(items)

    assert fake.play_count(FRIEREN, 1, 1) == 1
    assert fake.refresh_calls == 1
    assert fake.rate_limited == 0


@pytest.mark.parametrize("trigger", ["proactive", "401"])
def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(
    make_client: Factory,
    fake: FakeTrakt,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    trigger: str,
) -> None:
    old = store_tokens(sessions, fake, clock, left=3600 if trigger == "proactive" else WEEK)
    if trigger == "401":
        fake.expire_access_token(old.access_token)
    transport = OverlapTransport(SyncASGITransport(fake.app))
    # Two processes: separate in-process locks, one database.
    clients = [make_client(transport=transport), make_client(transport=transport)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(client: TraktClient) -> None:
        start.wait()
        try:
            client.user_settings()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert fake.refresh_calls == 1
    new = stored(sessions)
    assert new is not None
    assert new.access_token in fake.valid_access_tokens
    for client in clients:  # both keep working with the one new token pair
        client.user_settings()
    assert bearer_tokens(fake)[-2:] == [new.access_token, new.access_token]


def test_threads_of_one_process_share_one_refresh(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    old = store_tokens(sessions, fake, clock)
    fake.expire_access_token(old.access_token)
    client = make_client(transport=OverlapTransport(SyncASGITransport(fake.app)))
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work() -> None:
        start.wait()
        try:
            client.user_settings()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert fake.refresh_calls == 1


def test_an_explicit_refresh_rotates_the_stored_pair(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    old = store_tokens(sessions, fake, clock, left=60)  # expires within the refresh margin

    make_client().user_settings()

    new = stored(sessions)
    assert new is not None
    assert new.access_token != old.access_token
    assert old.refresh_token not in fake.valid_refresh_tokens
    assert new.refresh_token in fake.valid_refresh_tokens


# -- device flow ------------------------------------------------------------------------


def test_the_device_flow_polls_until_approved_and_stores_the_tokens(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ScriptedClock
) -> None:
    client = make_client()
    device = client.device_code()
    clock.actions[3] = lambda: fake.approve_device(device.user_code)

    tokens = client.poll_device_token(device)

    assert stored(sessions) == tokens
    assert tokens.access_token in fake.valid_access_tokens
    assert clock.sleeps == [device.interval] * 3
    assert fake.device_polls == 3
    assert oauth_hosts(fake) == {AUTH_HOST}


@pytest.mark.parametrize(
    ("script", "reason", "polls"),
    [
        pytest.param({2: "deny"}, "denied", 2, id="denied"),
        pytest.param({}, "expired", 119, id="expired"),
        pytest.param({}, "invalid_code", 1, id="unknown-device-code"),
    ],
)
def test_the_device_flow_ends_clearly_without_tokens(
    make_client: Factory,
    fake: FakeTrakt,
    sessions: sessionmaker[Session],
    clock: ScriptedClock,
    script: dict[int, str],
    reason: str,
    polls: int,
) -> None:
    client = make_client()
    device = client.device_code()
    if reason == "invalid_code":
        device = DeviceCode("not-a-code", "NOPE", device.verification_url, 600, 5)
    for at in script:
        clock.actions[at] = lambda: fake.deny_device(device.user_code)
    started = clock.monotonic()

    with pytest.raises(DeviceAuthFailed) as caught:
        client.poll_device_token(device)

    assert caught.value.reason == reason
    assert fake.device_polls == polls
    assert clock.monotonic() - started <= device.expires_in
    assert stored(sessions) is None


def test_a_device_code_is_used_once(make_client: Factory, fake: FakeTrakt) -> None:
    client = make_client()
    device = client.device_code()
    fake.approve_device(device.user_code)
    client.poll_device_token(device)

    with pytest.raises(DeviceAuthFailed) as caught:
        client.poll_device_token(device)

    assert caught.value.reason == "already_used"


def test_slow_down_makes_the_polling_interval_grow(
    make_client: Factory, fake: FakeTrakt, clock: ScriptedClock
) -> None:
    client = make_client()
    device = client.device_code()
    fake.fail_next(status=429, path="/oauth/device/token")
    clock.actions[3] = lambda: fake.approve_device(device.user_code)

    client.poll_device_token(device)

    slower = device.interval + DEVICE_SLOW_DOWN_SECONDS
    assert clock.sleeps == [device.interval, slower, slower]
    assert len(fake.requests_to("/oauth/device/token")) == 3


# -- revoke -----------------------------------------------------------------------------


def test_revoke_disconnects_at_trakt_and_forgets_the_tokens(
    make_client: Factory, fake: FakeTrakt, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    tokens = store_tokens(sessions, fake, clock)
    client = make_client()

    client.revoke()

    assert tokens.access_token not in fake.valid_access_tokens
    assert stored(sessions) is None
    with pytest.raises(AuthExpired, match="not connected"):
        client.user_settings()
    assert oauth_hosts(fake) == {AUTH_HOST}


# -- secrets ----------------------------------------------------------------------------


def test_no_token_secret_or_code_reaches_a_log_or_an_error(
    make_client: Factory,
    fake: FakeTrakt,
    sessions: sessionmaker[Session],
    clock: ScriptedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    client = make_client()
    old = store_tokens(sessions, fake, clock)
    fake.expire_access_token(old.access_token)
    client.user_settings()  # refresh on 401
    code = fake.create_authorization_code()
    client.exchange_code(code)
    device = client.device_code()
    fake.fail_next(status=429, path="/oauth/device/token")
    clock.actions[len(clock.sleeps) + 2] = lambda: fake.approve_device(device.user_code)
    client.poll_device_token(device)
    for attempt in (
        lambda: client.exchange_code(code),  # spent
        lambda: client.poll_device_token(device),  # used
        lambda: make_client(trakt_client_secret="wrong-secret-value").poll_device_token(device),
    ):
        with pytest.raises(AnitraktError) as caught:
            attempt()
        messages += [str(caught.value), repr(caught.value), repr(caught.value.details)]
    for live in list(fake.valid_access_tokens):
        fake.revoke_tokens(live)
    with pytest.raises(AuthExpired) as expired:
        client.user_settings()
    messages.append(str(expired.value))

    secrets = {CLIENT_SECRET, "wrong-secret-value", code, device.device_code, old.refresh_token}
    secrets |= {r.json.get("refresh_token") for r in fake.requests if isinstance(r.json, dict)}
    secrets |= set(bearer_tokens(fake))
    secrets.discard(None)
    text = "\n".join(messages + [r.getMessage() for r in caplog.records])
    assert caplog.records
    for secret in secrets:
        assert secret not in text


# -- the token store ----------------------------------------------------------------------


def test_tokens_round_trip_and_read_as_text(sessions: sessionmaker[Session]) -> None:
    # A hex token made only of digits and one "e" would parse as a JSON number.
    tokens = TokenSet("12345e6", "0012", expires_at=1_750_000_000.5)
    with sessions.begin() as session:
        save_tokens(session, tokens)

    assert stored(sessions) == tokens


def test_a_whole_oauth_answer_stored_as_json_is_understood(
    sessions: sessionmaker[Session],
) -> None:
    body = {"access_token": "acc", "refresh_token": "ref", "expires_in": 100, "created_at": 5}
    with sessions.begin() as session:
        set_config(session, "trakt:token", body)

    assert stored(sessions) == TokenSet("acc", "ref", expires_at=105.0, created_at=5.0)


def test_the_refresh_guard_serialises_two_connections(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        save_tokens(session, TokenSet("old-access", "old-refresh"))
    first_in, release, second_in = threading.Event(), threading.Event(), threading.Event()
    seen: list[TokenSet | None] = []

    def first() -> None:
        with refresh_guard(sessions) as held:
            first_in.set()
            release.wait(HANG_GUARD)
            held.save(TokenSet("new-access", "new-refresh", expires_at=1.0))

    def second() -> None:
        first_in.wait(HANG_GUARD)
        with refresh_guard(sessions) as held:
            second_in.set()
            seen.append(held.current)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    entered_early = second_in.wait(0.3)
    release.set()
    for thread in threads:
        thread.join(timeout=HANG_GUARD)

    assert not entered_early
    assert seen == [TokenSet("new-access", "new-refresh", expires_at=1.0)]


def test_a_guard_that_cannot_get_the_lock_gives_up_clearly(
    sessions: sessionmaker[Session],
) -> None:
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with refresh_guard(sessions):
            holding.set()
            release.wait(HANG_GUARD)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(HANG_GUARD)
    try:
        with (
            pytest.raises(ConflictError, match="refreshing the Trakt token"),
            refresh_guard(sessions, timeout=0.2),
        ):
            pass
    finally:
        release.set()
        thread.join(timeout=HANG_GUARD)
    with refresh_guard(sessions) as held:  # free again afterwards
        assert held.current is None


def test_a_failed_guard_body_leaves_the_stored_tokens_alone(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        save_tokens(session, TokenSet("kept-access", "kept-refresh"))

    def fail_half_way() -> None:
        with refresh_guard(sessions) as held:
            held.save(TokenSet("lost-access", "lost-refresh"))
            raise RuntimeError("the refresh failed half-way")

    with pytest.raises(RuntimeError):
        fail_half_way()

    assert stored(sessions) == TokenSet("kept-access", "kept-refresh")
