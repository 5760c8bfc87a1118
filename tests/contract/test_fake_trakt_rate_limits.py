"""The fake Trakt's three rate-limit budgets, each in its own window, on the fake clock.

Trakt's rate-limiting guide (trakt/trakt-api `projects/developer/src/lib/guides/
rate-limiting.md`, 2026-10-07): writes 1 per second per user; GETs with the user's token
500 per 5 minutes per user; GETs without one 500 per 5 minutes per client id and public
IP — "the bucket depends on whether the request is authenticated, even when the endpoint
is public". Past a budget: 429 with `Retry-After` (seconds) and `X-Ratelimit`, whose
shape is held to the documented example in `../shared/data/upstream/trakt/docs/`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from clocks import ManualClock
from fakes.trakt import FakeTrakt, iso_utc
from fakes.transport import SyncASGITransport
from paths import SHARED_DATA

API_HOST = "api.trakt.test"
API_HEADERS = {"trakt-api-key": "fake-client-id", "trakt-api-version": "2"}
LIMIT = 500
INTRO = SHARED_DATA / "upstream" / "trakt" / "docs" / "apiary-introduction-excerpt.md"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> FakeTrakt:
    trakt = FakeTrakt(clock=clock.time, api_host=API_HOST, enforce_rate_limits=True)
    trakt.add_show(100, "Sousou no Frieren", seasons={1: 28})
    return trakt


@pytest.fixture
def clients(fake: FakeTrakt) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """(public, user): the same app, without and with the user's token."""
    token, _ = fake.issue_tokens()
    transport = SyncASGITransport(fake.app)
    base = f"http://{API_HOST}"
    with (
        httpx.Client(base_url=base, transport=transport, headers=API_HEADERS) as public,
        httpx.Client(
            base_url=base,
            transport=transport,
            headers={**API_HEADERS, "Authorization": f"Bearer {token}"},
        ) as user,
    ):
        yield public, user


def post(user: httpx.Client, number: int) -> httpx.Response:
    episode = {"number": number, "watched_at": "2024-01-01T00:00:00.000Z"}
    body = {"shows": [{"ids": {"trakt": 100}, "seasons": [{"number": 1, "episodes": [episode]}]}]}
    return user.post("/sync/history", json=body)


def test_the_two_get_budgets_are_separate_windows(
    fake: FakeTrakt, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    public, user = clients

    public_codes = [public.get("/shows/100/seasons").status_code for _ in range(LIMIT)]
    user_codes = [user.get("/shows/100/seasons").status_code for _ in range(LIMIT)]
    past_public = public.get("/shows/100/seasons")
    past_user = user.get("/sync/watched/shows")

    assert set(public_codes) == set(user_codes) == {200}
    assert (past_public.status_code, past_user.status_code) == (429, 429)
    assert json.loads(past_public.headers["X-Ratelimit"])["name"] == "UNAUTHED_API_GET_LIMIT"
    assert json.loads(past_user.headers["X-Ratelimit"])["name"] == "AUTHED_API_GET_LIMIT"
    assert past_public.headers["Retry-After"] == past_user.headers["Retry-After"] == "300"
    assert post(user, 1).status_code == 201, "writes have a budget of their own"
    assert fake.rate_limited == 2


def test_a_window_frees_as_its_oldest_calls_age_out(
    fake: FakeTrakt, clock: ManualClock, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    public, _ = clients
    for _ in range(LIMIT // 2):
        assert public.get("/shows/100").status_code == 200
    clock.advance(100)
    for _ in range(LIMIT // 2):
        assert public.get("/shows/100").status_code == 200

    refused = public.get("/shows/100")
    clock.advance(199)
    still = public.get("/shows/100")
    clock.advance(1)
    freed = public.get("/shows/100")

    assert refused.status_code == still.status_code == 429
    assert (refused.headers["Retry-After"], still.headers["Retry-After"]) == ("200", "1")
    assert freed.status_code == 200
    assert fake.rate_limited == 2, "a refused call does not count against the window"


def test_writes_are_one_a_second_per_user(
    fake: FakeTrakt, clock: ManualClock, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    _, user = clients
    first = post(user, 1)
    clock.advance(0.5)
    early = post(user, 2)
    clock.advance(0.5)
    on_time = post(user, 2)

    assert (first.status_code, early.status_code, on_time.status_code) == (201, 429, 201)
    assert early.headers["Retry-After"] == "1"
    assert json.loads(early.headers["X-Ratelimit"])["name"] == "AUTHED_API_POST_LIMIT"
    assert [p.number for p in fake.plays] == [1, 2], "a refused post applies nothing"


def test_off_unless_asked(fake: FakeTrakt, clients: tuple[httpx.Client, httpx.Client]) -> None:
    fake.enforce_rate_limits = False
    public, _ = clients

    codes = {public.get("/shows/100").status_code for _ in range(LIMIT + 1)}

    assert codes == {200}
    assert fake.rate_limited == 0


def test_x_ratelimit_has_the_documented_shape(
    fake: FakeTrakt, clock: ManualClock, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    if not INTRO.is_file():
        pytest.skip(f"shared data absent: {INTRO}")
    documented = re.search(r"`X-Ratelimit` \| `(\{.*?\})`", INTRO.read_text())
    assert documented is not None
    example = json.loads(documented.group(1))
    public, _ = clients
    for _ in range(LIMIT):
        public.get("/shows/100")

    refused = public.get("/shows/100")
    header = json.loads(refused.headers["X-Ratelimit"])

    assert set(header) == set(example)
    assert {k: type(v) for k, v in header.items()} == {k: type(v) for k, v in example.items()}
    assert (header["period"], header["limit"], header["remaining"]) == (300, LIMIT, 0)
    # `until` is when the window frees: the first call of the window plus 5 minutes.
    assert header["until"] == iso_utc(clock.time() + 300)
