"""The one choke point every upstream request goes through (clients/http.py).

Driven through httpx's MockTransport with a scripted list of answers and a ManualClock,
so every wait is measured, never slept: what is retried and how long it waits, what
is never resent, and which typed error each final answer becomes.
"""

from __future__ import annotations

import email.utils
import random

import httpx
import pytest

from anitrakt.clients.http import HttpClient, RetryPolicy, Upstream, parse_retry_after
from anitrakt.errors import (
    EdgeBlocked,
    RateLimited,
    UnclearWrite,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamUnavailable,
)
from clocks import ManualClock

Answer = httpx.Response | type[httpx.TransportError]


class Script:
    """Answers requests in order; records what was sent and at which (manual) time."""

    def __init__(self, clock: ManualClock, *answers: Answer) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.sent: list[tuple[str, float]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, self.clock.monotonic()))
        answer = self.answers.pop(0)
        if isinstance(answer, type):
            raise answer("scripted", request=request)
        return answer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def client_for(script: Script, clock: ManualClock, **policy: float) -> HttpClient:
    upstream = Upstream(
        name="Upstream",
        base_url="https://upstream.test",
        clock=clock,
        retry=RetryPolicy(**policy),  # type: ignore[arg-type]
        transport=httpx.MockTransport(script),
        rng=random.Random(3),
    )
    return HttpClient(upstream)


def ok() -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


def test_a_429_waits_exactly_retry_after_then_succeeds(clock: ManualClock) -> None:
    script = Script(clock, httpx.Response(429, headers={"Retry-After": "7"}), ok())

    response = client_for(script, clock).request("GET", "/x")

    assert response.status_code == 200
    assert clock.sleeps == [7.0]
    assert script.sent[1][1] - script.sent[0][1] == 7.0


def test_a_429_without_retry_after_backs_off_with_jitter_and_growing(clock: ManualClock) -> None:
    bare = [httpx.Response(429, text="<html>slow down</html>") for _ in range(3)]
    script = Script(clock, *bare, ok())

    client_for(script, clock, base_delay=1.0).request("GET", "/x")

    assert len(clock.sleeps) == 3
    for attempt, slept in enumerate(clock.sleeps, start=1):
        ceiling = 2 ** (attempt - 1)
        assert ceiling / 2 <= slept <= ceiling  # full jitter in the upper half


def test_a_retry_after_past_the_limit_is_not_waited_out(clock: ManualClock) -> None:
    script = Script(clock, httpx.Response(429, headers={"Retry-After": "3600"}))

    with pytest.raises(RateLimited) as caught:
        client_for(script, clock, max_retry_after=300.0).request("GET", "/x")

    assert caught.value.retry_after == 3600.0
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 521, 522])
def test_server_errors_are_retried_for_reads_up_to_the_limit(
    clock: ManualClock, status: int
) -> None:
    script = Script(clock, *(httpx.Response(status) for _ in range(3)))

    with pytest.raises(UpstreamUnavailable, match=str(status)):
        client_for(script, clock, max_attempts=3).request("GET", "/x")

    assert len(script.sent) == 3
    assert len(clock.sleeps) == 2  # between attempts, not after the last


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(503), id="503"),
        pytest.param(httpx.ReadTimeout, id="read-timeout"),
        pytest.param(httpx.RemoteProtocolError, id="connection-dropped-mid-answer"),
    ],
)
def test_a_write_that_may_have_applied_is_never_resent(clock: ManualClock, answer: Answer) -> None:
    script = Script(clock, answer, ok())

    with pytest.raises(UnclearWrite):
        client_for(script, clock).request("POST", "/sync/history", json={}, idempotent=False)

    assert len(script.sent) == 1


def test_a_connection_that_never_reached_the_server_is_retried_even_for_writes(
    clock: ManualClock,
) -> None:
    script = Script(clock, httpx.ConnectError, httpx.ConnectTimeout, ok())

    response = client_for(script, clock).request("POST", "/w", json={}, idempotent=False)

    assert response.status_code == 200
    assert len(script.sent) == 3


def test_a_read_timeout_is_retried_for_reads(clock: ManualClock) -> None:
    script = Script(clock, httpx.ReadTimeout, ok())

    assert client_for(script, clock).request("GET", "/x").status_code == 200


@pytest.mark.parametrize(
    ("answer", "error", "says"),
    [
        pytest.param(httpx.Response(404), UpstreamNotFound, "no such item", id="404"),
        pytest.param(httpx.Response(400), UpstreamRejected, "HTTP 400", id="400"),
        pytest.param(httpx.Response(403, json={}), UpstreamRejected, "HTTP 403", id="json-403"),
        pytest.param(
            httpx.Response(403, text="<html>blocked</html>", headers={"Content-Type": "text/html"}),
            EdgeBlocked,
            "User-Agent",
            id="html-403-is-the-cdn",
        ),
    ],
)
def test_a_final_answer_becomes_its_typed_error_without_retries(
    clock: ManualClock, answer: httpx.Response, error: type[Exception], says: str
) -> None:
    script = Script(clock, answer)

    with pytest.raises(error, match=says):
        client_for(script, clock).request("GET", "/items/1")

    assert len(script.sent) == 1
    assert clock.sleeps == []


def test_statuses_the_caller_inspects_come_back_as_answers(clock: ManualClock) -> None:
    script = Script(clock, httpx.Response(420))

    response = client_for(script, clock).request("GET", "/x", ok_statuses=(420,))

    assert response.status_code == 420


def test_pacers_are_asked_before_every_attempt(clock: ManualClock) -> None:
    asked: list[float] = []

    class Pacer:
        def acquire(self) -> None:
            asked.append(clock.monotonic())

    script = Script(clock, httpx.Response(503), ok())
    client_for(script, clock).request("GET", "/x", pacers=(Pacer(),))

    assert len(asked) == 2


def test_every_request_names_us() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["User-Agent"])
        return ok()

    upstream = Upstream("U", "https://u.test", transport=httpx.MockTransport(handler))
    HttpClient(upstream).request("GET", "/")

    assert seen[0].startswith("anitrakt/")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("12", 12.0, id="seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("-3", 0.0, id="negative-is-now"),
        pytest.param("soon", None, id="garbage"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_retry_after_in_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=1_000_000.0) == expected


def test_retry_after_as_an_http_date() -> None:
    now = 1_750_000_000.0
    header = email.utils.formatdate(now + 90, usegmt=True)

    assert parse_retry_after(header, now) == pytest.approx(90.0)
