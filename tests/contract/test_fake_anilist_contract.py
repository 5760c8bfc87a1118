"""The fake AniList keeps AniList's contract: the real schema and the docs' example bodies.

Example responses are parsed at test time from AniList's own docs pages (shared upstream
data, see PROVENANCE.md), so the fake cannot drift from them silently; every query the
client sends must validate against the real schema.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import parse, validate

from anitrakt.clients.anilist import AniListClient
from anitrakt.clients.anilist_queries import ACTIVITIES_QUERY, ALL_QUERIES
from anitrakt.clients.http import Upstream
from clocks import ManualClock
from fakes.anilist import SCHEMA_PATH, SHARED_DATA, FakeAniList, FaultKind, load_schema
from fakes.transport import SyncASGITransport

DOCS = SHARED_DATA / "upstream" / "anilist" / "docs"
TOKEN = "contract-token"

pytestmark = pytest.mark.skipif(
    not SCHEMA_PATH.is_file() or not DOCS.is_dir(),
    reason=f"AniList contract needs the shared upstream data ({SHARED_DATA}), which is absent",
)


def code_blocks(page: str, language: str) -> list[str]:
    """The fenced ```language blocks of one docs page, in order."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def json_examples(page: str) -> list[Any]:
    return [json.loads(block) for block in code_blocks(page, "json")]


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; a list is described by its first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "null" if value is None else type(value).__name__


ALICE = 1001  # the first id the fake hands out


@pytest.fixture
def fake() -> FakeAniList:
    fake = FakeAniList(ManualClock())
    me = fake.add_user("alice", token=TOKEN)
    assert me.id == ALICE
    for n in range(4):
        fake.add_activity(me.id, 1, progress=str(n + 1), created_at=1_700_000_000 + n)
    fake.add_entry(me.id, 1, status="CURRENT", progress=4)
    return fake


@pytest.fixture
def http(fake: FakeAniList) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=SyncASGITransport(fake),
        base_url="http://anilist.test",
        headers={"Referer": "https://anilist.co/"},
    ) as c:
        yield c


def post(http: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    body = {"query": query, "variables": variables or {}}
    return http.post("/", json=body, headers={"Authorization": f"Bearer {TOKEN}"})


# -- queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [pytest.param(q, id=q.split()[1]) for q in ALL_QUERIES])
def test_every_client_query_validates_against_the_real_schema(query: str) -> None:
    schema = load_schema()
    assert schema is not None
    assert validate(schema, parse(query)) == []


def test_the_client_sends_only_those_queries(fake: FakeAniList) -> None:
    upstream = Upstream(
        "AniList",
        "http://anilist.test",
        clock=ManualClock(),
        transport=SyncASGITransport(fake),
        rng=random.Random(1),
    )
    with AniListClient(upstream, token=TOKEN) as client:
        user = client.resolve_user()
        client.list_activities(user.id, since=0)
        client.media_list(user.id, "CURRENT")
        client.media_list(user.id, "COMPLETED")
        client.media_details([1])
        client.library(user.id)
    with AniListClient(upstream, username="alice") as client:
        client.resolve_user()

    sent = {r.query for r in fake.requests}
    assert sent == set(ALL_QUERIES)
    assert {r.status for r in fake.requests} == {200}


# -- success bodies -----------------------------------------------------------------------


def test_paginated_answer_has_the_docs_shape(http: httpx.Client) -> None:
    (example,) = json_examples("guide/graphql/pagination.md")
    docs_page = example["data"]["Page"]
    # Ask the client's activities query for the same pageInfo fields the docs example shows.
    fields = " ".join(docs_page["pageInfo"])
    query = ACTIVITIES_QUERY.replace("pageInfo { hasNextPage }", f"pageInfo {{ {fields} }}")
    variables = {"userId": ALICE, "since": 0, "page": 1, "perPage": 3}

    response = post(http, query, variables)

    assert response.status_code == 200
    body = response.json()
    assert body.keys() == example.keys() == {"data"}
    page = body["data"]["Page"]
    assert shape(page["pageInfo"]) == shape(docs_page["pageInfo"])
    assert page["pageInfo"] == {"currentPage": 1, "hasNextPage": True, "perPage": 3}
    # One data field beside pageInfo, as pagination.md requires; items carry an Int id.
    (docs_items,) = (v for k, v in docs_page.items() if k != "pageInfo")
    (items,) = (v for k, v in page.items() if k != "pageInfo")
    assert len(items) == len(docs_items) == 3
    assert shape(items[0]["id"]) == shape(docs_items[0]["id"]) == "int"


def test_the_docs_media_list_query_runs_on_the_fake(http: httpx.Client) -> None:
    blocks = code_blocks("guide/graphql/queries/media-list.md", "graphql")
    (query,) = [q for q in blocks if "MediaListCollection" in q]

    response = post(http, query, {"type": "ANIME", "userId": ALICE})

    assert response.status_code == 200
    (group,) = response.json()["data"]["MediaListCollection"]["lists"]
    assert shape(group) == {
        "name": "str",
        "entries": [{"id": "int", "media": {"id": "int", "title": {"romaji": "str"}}}],
    }


def test_every_answer_carries_the_rate_limit_headers(http: httpx.Client) -> None:
    docs = "\n".join(code_blocks("guide/rate-limiting.md", ""))
    documented = re.findall(r"^(X-RateLimit-Limit|X-RateLimit-Remaining): \d+$", docs, re.M)
    assert documented  # the docs' 200 example lists both

    first = post(http, "query { Viewer { id } }")
    second = post(http, "query { Viewer { id } }")

    for name in documented:
        assert first.headers[name].isdigit()
    assert first.headers["X-RateLimit-Limit"] == "90"
    remaining = int(second.headers["X-RateLimit-Remaining"])
    assert remaining == int(first.headers["X-RateLimit-Remaining"]) - 1


# -- error bodies -------------------------------------------------------------------------


def test_an_invalid_query_answers_like_errors_md(http: httpx.Client) -> None:
    example = json_examples("guide/graphql/errors.md")[0]
    query = """query {
  MediaListCollection(userId: 1001, type: ANIME) {
    lists { entries {
    nonexistentField } }
  }
}"""

    response = post(http, query)

    assert response.status_code == 400
    body = response.json()
    assert shape(body) == shape(example)
    assert body["errors"][0]["message"] == example["errors"][0]["message"]


def test_rate_limited_answers_like_rate_limiting_md(fake: FakeAniList, http: httpx.Client) -> None:
    (example,) = json_examples("guide/rate-limiting.md")
    headers_block = next(b for b in code_blocks("guide/rate-limiting.md", "") if "429" in b)
    documented = re.findall(r"^([A-Za-z-]+): \d+$", headers_block, re.M)
    fake.fail_next(FaultKind.RATE_LIMITED)

    response = post(http, "query { Viewer { id } }")

    assert response.status_code == 429
    assert response.json() == example
    assert set(documented) == {
        "Retry-After",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    }
    for name in documented:
        assert response.headers[name].isdigit()


def test_going_over_the_limit_is_a_documented_429(fake: FakeAniList, http: httpx.Client) -> None:
    (example,) = json_examples("guide/rate-limiting.md")
    fake.rate_limit = 2
    for _ in range(2):
        post(http, "query { Viewer { id } }")

    response = post(http, "query { Viewer { id } }")

    assert response.status_code == 429
    assert response.json() == example
    assert int(response.headers["Retry-After"]) > 0


def test_api_disabled_answers_like_considerations_md(fake: FakeAniList, http: httpx.Client) -> None:
    (example,) = json_examples("guide/considerations.md")
    fake.fail_next(FaultKind.API_DISABLED)

    response = post(http, "query { Viewer { id } }")

    assert response.status_code == 403
    assert response.json() == example


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-referer"),
        pytest.param({"Origin": "https://anilist.co"}, id="origin-does-not-count"),
        pytest.param({"User-Agent": "Mozilla/5.0"}, id="a-browser-user-agent-does-not-count"),
    ],
)
def test_the_edge_refuses_a_request_without_a_referer(
    fake: FakeAniList, headers: dict[str, str]
) -> None:
    with httpx.Client(transport=SyncASGITransport(fake), base_url="http://anilist.test") as bare:
        response = bare.post("/", json={"query": "query { Viewer { id } }"}, headers=headers)

    assert response.status_code == 403
    # Byte for byte what graphql.anilist.co answers since 2026-08 (animego PR #170).
    assert response.content == (
        b'{"errors":[{"message":"The AniList API has been temporarily disabled due to severe '
        b'stability issues.","status":403}],"data":null}'
    )
    assert "X-RateLimit-Limit" not in response.headers
    assert fake.requests == []  # refused at the edge: the origin never saw it


@pytest.mark.parametrize("referer", ["https://anilist.co/", "https://example.com/", "abc"])
def test_any_referer_passes_the_edge(fake: FakeAniList, referer: str) -> None:
    with httpx.Client(transport=SyncASGITransport(fake), base_url="http://anilist.test") as bare:
        response = bare.post(
            "/",
            json={"query": "query { Viewer { id } }"},
            headers={"Referer": referer, "Authorization": f"Bearer {TOKEN}"},
        )

    assert response.status_code == 200
    assert response.json()["data"]["Viewer"]["id"] == ALICE


def test_an_invalid_token_answers_with_the_error_shape(http: httpx.Client) -> None:
    example = json_examples("guide/graphql/errors.md")[0]
    query = """query ($userId: Int) {
  MediaListCollection(userId: $userId, type: ANIME) { hasNextChunk }
}"""

    response = http.post(
        "/",
        json={"query": query, "variables": {"userId": ALICE}},
        headers={"Authorization": "Bearer not-a-real-token"},
    )

    assert response.status_code == 400
    body = response.json()
    assert shape(body["errors"]) == shape(example["errors"])
    assert body["errors"][0]["message"] == "Invalid token"
    assert body["data"] == {"MediaListCollection": None}


def test_examples_are_where_the_contract_expects() -> None:
    """Guard the parsing above: each docs page still has the examples used here."""
    assert len(json_examples("guide/graphql/errors.md")) == 2
    assert len(json_examples("guide/graphql/pagination.md")) == 1
    assert len(json_examples("guide/rate-limiting.md")) == 1
    assert len(json_examples("guide/considerations.md")) == 1
