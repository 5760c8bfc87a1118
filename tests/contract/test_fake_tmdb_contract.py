"""The fake TMDB held to TMDB's recorded bodies, and its own behaviour.

Contract: the fake's external-ids answer has exactly the recorded field set with the same
JSON types (null matches any type: TMDB sends null for ids it lacks), and its error
bodies are the recorded ones, byte for byte as JSON. There is no recorded movie answer;
the movie body is the TV field set without the TV-only fields (TMDB's movie schema).
Skipped, with the reason, when the shared data is absent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakes.tmdb import FakeTMDB
from fakes.transport import SyncASGITransport
from paths import SHARED_DATA

UPSTREAM = SHARED_DATA / "upstream"
API_KEY = "fake-tmdb-key"
READ_TOKEN = "fake-tmdb-read-token"
TV_ONLY = {"freebase_mid", "freebase_id", "tvdb_id", "tvrage_id"}
CLIENT_READS = {"id", "imdb_id", "tvdb_id"}


def recorded(name: str) -> Any:
    path = UPSTREAM / "tmdb" / name
    if not path.is_file():
        pytest.skip(f"shared upstream data is absent ({path} not found); contract not checked")
    return json.loads(path.read_text(encoding="utf-8"))


def json_type(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else type(value).__name__


@pytest.fixture
def fake() -> FakeTMDB:
    tmdb = FakeTMDB(api_key=API_KEY, read_access_token=READ_TOKEN)
    tmdb.add_tv(1399, imdb_id="tt0944947", tvdb_id=121361)
    tmdb.add_movie(20526, imdb_id="tt1104001")
    return tmdb


@pytest.fixture
def tmdb(fake: FakeTMDB) -> Iterator[httpx.Client]:
    with httpx.Client(base_url="http://tmdb.test", transport=SyncASGITransport(fake.app)) as c:
        yield c


def get(client: httpx.Client, path: str, **params: str) -> httpx.Response:
    return client.get(path, params={"api_key": API_KEY, **params})


# -- contract -----------------------------------------------------------------------------


def test_tv_external_ids_have_the_recorded_fields_and_types(tmdb: httpx.Client) -> None:
    expected = recorded("tv-external-ids.json")

    response = get(tmdb, "/3/tv/1399/external_ids")

    assert response.status_code == 200
    body = response.json()
    assert body.keys() == expected.keys()
    mismatched = {
        key
        for key in body
        if None not in (json_type(body[key]), json_type(expected[key]))
        and json_type(body[key]) != json_type(expected[key])
    }
    assert mismatched == set()
    assert {key: body[key] for key in CLIENT_READS} == {
        key: expected[key] for key in CLIENT_READS
    }, "same show, same ids as the recording"


def test_movie_external_ids_are_the_tv_fields_without_the_tv_only_ones(
    tmdb: httpx.Client,
) -> None:
    expected = recorded("tv-external-ids.json")

    body = get(tmdb, "/3/movie/20526/external_ids").json()

    assert body.keys() == expected.keys() - TV_ONLY
    assert (body["id"], body["imdb_id"]) == (20526, "tt1104001")


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        pytest.param({"api_key": "wrong"}, {}, id="wrong-key"),
        pytest.param({}, {}, id="no-key"),
        pytest.param({}, {"Authorization": "Bearer wrong"}, id="wrong-bearer"),
        pytest.param({}, {"Authorization": f"Basic {READ_TOKEN}"}, id="not-bearer"),
    ],
)
def test_an_invalid_key_gets_the_recorded_401_body(
    tmdb: httpx.Client, params: dict[str, str], headers: dict[str, str]
) -> None:
    response = tmdb.get("/3/tv/1399/external_ids", params=params, headers=headers)

    assert response.status_code == 401
    assert response.json() == recorded("invalid-api-key.json")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/3/tv/999/external_ids", id="unknown-tv"),
        pytest.param("/3/movie/1399/external_ids", id="tv-id-as-movie"),
        pytest.param("/3/tv/abc/external_ids", id="not-a-number"),
        pytest.param("/3/tv/1399/credits", id="unknown-path"),
    ],
)
def test_an_unknown_item_gets_the_recorded_404_body(tmdb: httpx.Client, path: str) -> None:
    response = get(tmdb, path)

    assert response.status_code == 404
    assert response.json() == recorded("resource-not-found.json")


# -- behaviour ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "headers"),
    [
        pytest.param("/3/tv/1399/external_ids", {"api_key": API_KEY}, {}, id="v3-key"),
        pytest.param("/tv/1399/external_ids", {"api_key": API_KEY}, {}, id="no-version-prefix"),
        pytest.param(
            "/3/tv/1399/external_ids", {}, {"Authorization": f"Bearer {READ_TOKEN}"}, id="bearer"
        ),
    ],
)
def test_both_auth_forms_and_both_path_forms_work(
    tmdb: httpx.Client, path: str, params: dict[str, str], headers: dict[str, str]
) -> None:
    response = tmdb.get(path, params=params, headers=headers)

    assert response.status_code == 200
    assert response.json()["tvdb_id"] == 121361


def test_requests_are_recorded(fake: FakeTMDB, tmdb: httpx.Client) -> None:
    get(tmdb, "/3/tv/1399/external_ids")

    (request,) = fake.requests
    assert (request.method, request.host, request.path) == (
        "GET",
        "tmdb.test",
        "/3/tv/1399/external_ids",
    )
    assert request.query == {"api_key": API_KEY}


@pytest.mark.parametrize(
    ("fault", "status", "status_code", "retry_after"),
    [
        pytest.param({"status": 429, "retry_after": "3"}, 429, 25, "3", id="429"),
        pytest.param({"status": 429}, 429, 25, None, id="429-without-retry-after"),
        pytest.param({"status": 500}, 500, 11, None, id="500"),
        pytest.param({"status": 503}, 503, 11, None, id="503"),
    ],
)
def test_fail_next_answers_once_then_recovers(
    fake: FakeTMDB,
    tmdb: httpx.Client,
    fault: dict[str, Any],
    status: int,
    status_code: int,
    retry_after: str | None,
) -> None:
    fake.fail_next(**fault)

    failed = get(tmdb, "/3/tv/1399/external_ids")
    recovered = get(tmdb, "/3/tv/1399/external_ids")

    assert (failed.status_code, failed.json()["status_code"]) == (status, status_code)
    assert failed.headers.get("Retry-After") == retry_after
    assert recovered.status_code == 200


def test_fail_next_can_time_out_and_serve_html(fake: FakeTMDB, tmdb: httpx.Client) -> None:
    fake.fail_next(timeout=True)
    fake.fail_next(status=502, html=True, path="/3/movie/*")

    with pytest.raises(httpx.ReadTimeout):
        get(tmdb, "/3/tv/1399/external_ids")
    assert get(tmdb, "/3/tv/1399/external_ids").status_code == 200
    page = get(tmdb, "/3/movie/20526/external_ids")
    assert page.status_code == 502
    assert page.headers["content-type"].startswith("text/html")


def test_reset_forgets_requests_and_faults_but_keeps_the_catalog(
    fake: FakeTMDB, tmdb: httpx.Client
) -> None:
    fake.fail_next(status=500)
    fake.reset()

    assert get(tmdb, "/3/tv/1399/external_ids").status_code == 200
    assert len(fake.requests) == 1
    fake.reset(catalog=True)
    assert get(tmdb, "/3/tv/1399/external_ids").status_code == 404
