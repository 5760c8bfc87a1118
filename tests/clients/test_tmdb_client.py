"""The TMDB client against the fake TMDB, in-process, on a ManualClock.

Waits are read from `ManualClock.sleeps`; only the end-to-end test at the bottom talks
over a real socket. The API key travels in the query string, so several tests check
that it never reaches an exception or a log line.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator

import pytest

from anitrakt.clients.http import RetryPolicy, Upstream
from anitrakt.clients.tmdb import ExternalIds, TMDBClient, TMDBKind
from anitrakt.config import Settings
from anitrakt.errors import (
    ConfigError,
    RateLimited,
    UpstreamError,
    UpstreamRejected,
    UpstreamUnavailable,
)
from clocks import ManualClock
from fakes.server import serve_in_thread
from fakes.tmdb import FakeTMDB
from fakes.transport import SyncASGITransport

BASE_URL = "http://tmdb.test/3"
API_KEY = "0123456789abcdef0123456789abcdef"
READ_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJmYWtlIn0.c2lnbmF0dXJlLXNlY3JldA"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake() -> FakeTMDB:
    tmdb = FakeTMDB(api_key=API_KEY, read_access_token=READ_TOKEN)
    tmdb.add_tv(1399, imdb_id="tt0944947", tvdb_id=121361)
    tmdb.add_tv(209867, imdb_id="tt22248376", tvdb_id=424536)
    tmdb.add_tv(5, imdb_id="", tvdb_id=0)  # TMDB sends empty / zero ids for "none"
    tmdb.add_tv(6)
    tmdb.add_movie(20526, imdb_id="tt1104001")
    tmdb.add_movie(7)
    return tmdb


def settings_for(key: str | None, url: str = BASE_URL) -> Settings:
    return Settings(_env_file=None, tmdb_api_url=url, tmdb_api_key=key)


def make_client(
    fake: FakeTMDB, clock: ManualClock, *, key: str | None = API_KEY, url: str = BASE_URL
) -> TMDBClient:
    upstream = Upstream(
        name="TMDB",
        base_url=url,
        clock=clock,
        transport=SyncASGITransport(fake.app),
        retry=RetryPolicy(max_attempts=3),
        rng=random.Random(3),
    )
    return TMDBClient(upstream, settings_for(key).tmdb_api_key)


@pytest.fixture
def client(fake: FakeTMDB, clock: ManualClock) -> Iterator[TMDBClient]:
    with make_client(fake, clock) as tmdb:
        yield tmdb


# -- lookups ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tmdb_id", "kind", "expected"),
    [
        pytest.param(1399, "tv", ExternalIds(121361, "tt0944947", 1399), id="tv-all-ids"),
        pytest.param(209867, "tv", ExternalIds(424536, "tt22248376", 209867), id="tv-anime"),
        pytest.param(5, "tv", ExternalIds(None, None, 5), id="tv-empty-and-zero-ids"),
        pytest.param(6, "tv", ExternalIds(None, None, 6), id="tv-null-ids"),
        pytest.param(20526, "movie", ExternalIds(None, "tt1104001", 20526), id="movie"),
        pytest.param(7, "movie", ExternalIds(None, None, 7), id="movie-no-imdb"),
        pytest.param(1399, "movie", None, id="tv-id-is-not-a-movie-id"),
        pytest.param(424242, "tv", None, id="unknown-tv-404"),
        pytest.param(424242, "movie", None, id="unknown-movie-404"),
    ],
)
def test_external_ids(
    client: TMDBClient, tmdb_id: int, kind: TMDBKind, expected: ExternalIds | None
) -> None:
    assert client.external_ids(tmdb_id, kind) == expected


def test_the_key_travels_as_the_api_key_query_parameter(fake: FakeTMDB, client: TMDBClient) -> None:
    client.external_ids(1399, "tv")

    (request,) = fake.requests
    assert (request.method, request.path) == ("GET", "/3/tv/1399/external_ids")
    assert request.query == {"api_key": API_KEY}
    assert "authorization" not in request.headers


def test_a_v4_read_access_token_travels_as_a_bearer_header(
    fake: FakeTMDB, clock: ManualClock
) -> None:
    with make_client(fake, clock, key=READ_TOKEN) as tmdb:
        assert tmdb.external_ids(1399, "tv") == ExternalIds(121361, "tt0944947", 1399)

    (request,) = fake.requests
    assert request.query == {}
    assert request.headers["authorization"] == f"Bearer {READ_TOKEN}"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://tmdb.test/3", id="with-version-prefix"),
        pytest.param("http://tmdb.test", id="without-version-prefix"),
    ],
)
def test_the_base_url_may_carry_the_version_prefix(
    fake: FakeTMDB, clock: ManualClock, url: str
) -> None:
    with make_client(fake, clock, url=url) as tmdb:
        assert tmdb.external_ids(1399, "tv") is not None


def test_an_unknown_kind_is_a_programming_error(client: TMDBClient) -> None:
    with pytest.raises(ValueError, match="kind"):
        client.external_ids(1399, "show")  # type: ignore[arg-type]


# -- without a key ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [pytest.param(None, id="unset"), pytest.param("   ", id="blank")],
)
def test_without_a_key_the_client_is_disabled_and_sends_nothing(
    fake: FakeTMDB, clock: ManualClock, key: str | None
) -> None:
    with make_client(fake, clock, key=key) as tmdb:
        assert tmdb.enabled is False
        assert tmdb.external_ids(1399, "tv") is None
        assert tmdb.external_ids(20526, "movie") is None
    assert fake.requests == []


def test_from_settings_builds_a_disabled_client_without_a_key() -> None:
    with TMDBClient.from_settings(settings_for(None)) as tmdb:
        assert tmdb.enabled is False
        assert tmdb.external_ids(1, "tv") is None


# -- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [pytest.param("wrong-key-123456", id="wrong-v3-key"), pytest.param(READ_TOKEN + "x", id="v4")],
)
def test_an_invalid_key_is_a_config_error_naming_the_variable(
    fake: FakeTMDB, clock: ManualClock, key: str
) -> None:
    with make_client(fake, clock, key=key) as tmdb, pytest.raises(ConfigError) as caught:
        tmdb.external_ids(1399, "tv")

    assert "TMDB_API_KEY" in str(caught.value)
    assert key not in str(caught.value)
    assert len(fake.requests) == 1, "a rejected key is not retried"


def test_a_429_is_waited_out_using_retry_after(
    fake: FakeTMDB, client: TMDBClient, clock: ManualClock
) -> None:
    fake.fail_next(status=429, retry_after="2")

    assert client.external_ids(1399, "tv") == ExternalIds(121361, "tt0944947", 1399)
    assert clock.sleeps == [2.0]
    assert len(fake.requests) == 2


def test_a_5xx_is_retried_with_backoff(
    fake: FakeTMDB, client: TMDBClient, clock: ManualClock
) -> None:
    fake.fail_next(2, status=503)

    assert client.external_ids(1399, "tv") is not None
    assert len(clock.sleeps) == 2
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        pytest.param({"status": 500}, UpstreamUnavailable, id="500"),
        pytest.param({"status": 502, "html": True}, UpstreamUnavailable, id="502-html"),
        pytest.param({"status": 429}, RateLimited, id="429-without-retry-after"),
        pytest.param({"timeout": True}, UpstreamUnavailable, id="timeout"),
        pytest.param({"status": 400}, UpstreamRejected, id="400"),
    ],
)
def test_the_key_never_shows_in_errors_or_logs(
    fake: FakeTMDB,
    client: TMDBClient,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, object],
    error: type[UpstreamError],
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next(3, **fault)  # type: ignore[arg-type]

    with pytest.raises(error) as caught:
        client.external_ids(1399, "tv")

    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value.details)
    assert API_KEY not in caplog.text
    assert API_KEY not in "".join(str(r.args) for r in caplog.records)


def test_request_log_lines_show_the_key_masked(
    client: TMDBClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="httpx")  # the CLI quiets it; the web app does not

    client.external_ids(1399, "tv")

    request_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert request_lines, "httpx logs each request at INFO"
    assert all("api_key=***" in line for line in request_lines)
    assert API_KEY not in caplog.text


def test_a_body_that_is_not_json_is_an_upstream_error(fake: FakeTMDB, client: TMDBClient) -> None:
    fake.fail_next(status=200, html=True)  # a captive portal or proxy page with a 200

    with pytest.raises(UpstreamUnavailable, match="instead of JSON"):
        client.external_ids(1399, "tv")


# -- end to end ---------------------------------------------------------------------------


def test_end_to_end_over_a_real_socket(fake: FakeTMDB) -> None:
    with serve_in_thread(fake.app) as url:
        tmdb = TMDBClient.from_settings(settings_for(API_KEY, f"{url}/3"))
        with tmdb:
            assert tmdb.enabled is True
            found = tmdb.external_ids(209867, "tv")
            missing = tmdb.external_ids(1, "movie")

    assert found == ExternalIds(424536, "tt22248376", 209867)
    assert missing is None
    assert [r.path for r in fake.requests] == [
        "/3/tv/209867/external_ids",
        "/3/movie/1/external_ids",
    ]
