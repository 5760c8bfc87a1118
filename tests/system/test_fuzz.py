"""Bad input (issue 7): a property-based run over the OpenAPI document, and hand-written cases.

The fuzz run derives a Hypothesis strategy for every operation in `create_app(...).openapi()`
(query parameters from their schemas, JSON bodies from the component schemas, plus junk:
wrong types, unknown keys, non-JSON bytes, missing bodies) and sends each request with and
without `ANITRAKT_API_TOKEN` (no header, the right Bearer, a wrong one). Every upstream
request — the API clients and the mapping-source downloads — goes to a transport that
refuses it, so no route reaches the network. Invariants:

* no 5xx, except 502/503 from a route that really asked the (refusing) upstream;
* every 4xx is JSON with a non-empty `error` string;
* a rejected (4xx) request changes nothing in the store (every table snapshotted), except
  that the operations log may gain rows about a refused upstream call made on the way.

Nothing is excluded. The whole web edge stands in front (Host check, token before the
body, cross-site refusal, body cap, security headers); only the failed sign-in
throttle is given a limit the run never reaches, so that wrong tokens keep reaching
the routes instead of a lock-out (tests/test_web_throttle.py covers the throttle).
The app is built inside the test body and the `@given` function is
nested there, so the function-scoped `settings` fixture is used once per engine and no
Hypothesis health check needs suppressing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from anitrakt.config import Settings
from anitrakt.domain.anilist import parse_progress
from anitrakt.errors import InputError, MappingSourceError
from anitrakt.mappings.fribb import parse_fribb
from anitrakt.store.models import Base
from anitrakt.web.app import create_app
from anitrakt.web.throttle import FailureThrottle
from clocks import skip_real_waits

TOKEN = "fuzz-token-0123456789"
MAX_EXAMPLES = 150  # per token mode and engine; the file stays well under a minute


class RefusingTransport(httpx.BaseTransport):
    """Refuses every upstream request, counting them."""

    def __init__(self) -> None:
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise httpx.ConnectError("refused by the fuzz test", request=request)


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, order-independent."""
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
            for table in Base.metadata.sorted_tables
        }


# --- strategies derived from the OpenAPI document ------------------------------------

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
any_json = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


class OpenApiDocument(dict[str, Any]):
    """The app's OpenAPI document, printed by name in Hypothesis's reports.

    Hypothesis prints the arguments of a strategy; the whole document is tens of kB and
    Hypothesis warns (an error under `-W error`) past 30 kB.
    """

    def __repr__(self) -> str:
        return f"<OpenAPI document: {len(self.get('paths', {}))} paths>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def from_schema(doc: dict[str, Any], schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema accepts, mixed with edge values of the same JSON type."""
    schema = _resolve(doc, schema)
    if "anyOf" in schema:
        return st.one_of([from_schema(doc, s) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return st.integers(-(10**12), 10**12) | st.sampled_from([0, 1, -1, 2**31, 2**63])
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
        text = st.text(min_size=low, max_size=min(high, 40))
        return text | st.integers(-(10**12), 10**12).map(str) | st.just("x" * (high + 1))
    if kind == "object":
        props = schema.get("properties", {})
        return st.fixed_dictionaries(
            {},
            optional={
                **{k: from_schema(doc, v) | any_json for k, v in props.items()},
                "unexpected": any_json,
            },
        )
    return any_json


def _query_value(doc: dict[str, Any], schema: dict[str, Any]) -> st.SearchStrategy[str]:
    def render(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    return from_schema(doc, schema).map(render) | st.text(max_size=30)


# Header values are ASCII on the wire; the client refuses anything else before sending.
_header_text = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=10)


@st.composite
def requests(draw: st.DrawFn, doc: dict[str, Any], *, token: bool) -> dict[str, Any]:
    operations = [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    ]
    method, path, op = draw(st.sampled_from(operations))
    params: dict[str, str] = {}
    for param in op.get("parameters", []):
        assert param["in"] in ("query", "path"), param
        if param["in"] == "path":
            # Any text a URL path segment can carry, percent-encoded as a client would.
            segment = draw(_query_value(doc, param["schema"]).filter(bool))
            path = path.replace("{" + param["name"] + "}", quote(segment, safe=""))
        elif draw(st.booleans()):
            params[param["name"]] = draw(_query_value(doc, param["schema"]))
    headers: dict[str, str] = {}
    if token:
        auth = draw(st.sampled_from(["none", "right", "wrong"]))
        if auth == "right":
            headers["Authorization"] = f"Bearer {TOKEN}"
        elif auth == "wrong":
            headers["Authorization"] = f"Bearer {draw(_header_text)}x"
    content: bytes | None = None
    body = op.get("requestBody")
    if body is not None:
        schema = body["content"]["application/json"]["schema"]
        shape = draw(st.sampled_from(["schema", "schema", "json", "bytes", "none"]))
        if shape == "schema":
            content = json.dumps(draw(from_schema(doc, schema))).encode()
        elif shape == "json":
            content = json.dumps(draw(any_json)).encode()
        elif shape == "bytes":
            content = draw(st.binary(max_size=30))
        if content is not None:
            headers["Content-Type"] = "application/json"
    return {"method": method, "url": path, "params": params, "headers": headers, "content": content}


@pytest.fixture
def fuzz_settings(settings: Settings) -> Settings:
    # Trakt credentials and an AniList account let the sync and auth routes go past their
    # configuration checks and on to the (refusing) upstream.
    return settings.model_copy(
        update={
            "trakt_client_id": "fuzz-client",
            "trakt_client_secret": SecretStr("fuzz-secret"),
            "anilist_username": "fuzz-user",
        }
    )


@pytest.fixture
def transport() -> RefusingTransport:
    return RefusingTransport()


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    # The API clients retry a refused connection with back-off on the real clock, which
    # `create_app` does not let a test replace; without this the run takes minutes.
    skip_real_waits(monkeypatch)


@pytest.fixture
def fuzz_client(
    fuzz_settings: Settings,
    transport: RefusingTransport,
    no_waiting: None,
    request: pytest.FixtureRequest,
) -> Iterator[TestClient]:
    token = getattr(request, "param", False)
    app_settings = (
        fuzz_settings.model_copy(update={"anitrakt_api_token": SecretStr(TOKEN)})
        if token
        else fuzz_settings
    )
    app = create_app(
        app_settings, upstream_transport=transport, throttle=FailureThrottle(limit=10**9)
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        # `upstream_transport` covers the mapping-source downloads as well.
        assert app.state.runtime.downloads.transport is transport
        yield client


@pytest.mark.parametrize("fuzz_client", [False, True], ids=["no-token", "token"], indirect=True)
def test_every_route_survives_generated_input(
    fuzz_client: TestClient, transport: RefusingTransport, engine: Engine
) -> None:
    doc = OpenApiDocument(fuzz_client.app.openapi())  # type: ignore[attr-defined]
    token = fuzz_client.app.state.runtime.settings.anitrakt_api_token is not None  # type: ignore[attr-defined]

    @hsettings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(requests(doc, token=token))
    def run(req: dict[str, Any]) -> None:
        before = snapshot(engine)
        calls = transport.calls
        response = fuzz_client.request(**req)
        status = response.status_code
        asked_upstream = transport.calls > calls
        event(f"{req['method']} {req['url']} → {status}")
        assert status < 500 or (status in (502, 503) and asked_upstream), (
            req,
            status,
            response.text,
        )
        if status >= 400:
            assert response.headers["content-type"].startswith("application/json"), req
            error = response.json().get("error")
            assert isinstance(error, str), (req, response.text)
            assert error.strip(), (req, response.text)
        if 400 <= status < 500:
            after = snapshot(engine)
            if asked_upstream or status == 404:
                # The one allowed change: the operations log may record the refused upstream
                # call (e.g. a mapping-source refresh tried on the way to a 404), or the
                # resolution miss behind a 404 from /api/sync (each unmapped show is an
                # event, see the README's logs); it only grows.
                assert set(before["logs"]) <= set(after["logs"]), (req, status)
                before["logs"] = after["logs"]
            assert after == before, (req, status, response.text)

    run()


# --- hand-written cases --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "not an episode number"),
        ("5 - 3", "ends before it starts"),
        ("-1", "not an episode number"),
        ("10 - 100000", "spans more than"),
        ("0", "episodes start at 1"),
        ("1 - 99999999999999999999999999", "not an episode number"),
        ("1" * 5000, "not an episode number"),
    ],
)
def test_absurd_progress_strings_are_input_errors(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as caught:
        parse_progress(text)
    assert caught.value.message
    assert caught.value.field == "progress"


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_progress_means_no_episodes(text: str | None) -> None:
    # Documented: an empty progress text is "nothing watched", not an error.
    assert parse_progress(text) == ()


_VALID_OVERRIDE = {"traktId": 1, "abs": 1, "season": 1, "episode": 1}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("season", 10**12),
        ("season", -1),
        ("abs", -1),
        ("abs", 0),
        ("abs", 10**30),
        ("episode", 0),
        ("traktId", -5),
        ("traktId", "abc"),
        ("season", "one"),
        ("abs", 1.5),
        ("episode", 2.0e300),
        ("season", {"nested": {"deeper": [1]}}),
        ("abs", [1, 2]),
        ("episode", None),
        ("traktId", True),
        ("season", "1e3"),
    ],
)
def test_absurd_override_values_are_rejected_and_nothing_stored(
    fuzz_settings: Settings, engine: Engine, field: str, value: Any
) -> None:
    before = snapshot(engine)
    with TestClient(create_app(fuzz_settings, upstream_transport=RefusingTransport())) as client:
        response = client.post("/api/overrides", json={**_VALID_OVERRIDE, field: value})
    assert response.status_code == 400, response.text
    assert field in response.json()["error"], response.text
    assert snapshot(engine) == before


def test_a_missing_parameter_named_query_is_named(fuzz_settings: Settings) -> None:
    with TestClient(create_app(fuzz_settings, upstream_transport=RefusingTransport())) as client:
        response = client.get("/api/trakt-search")
    assert response.status_code == 400
    assert response.json()["error"] == "query is required"


def test_fribb_deeply_nested_json_is_a_clear_error() -> None:
    data = b"[" * 10_000 + b"]" * 10_000
    with pytest.raises(MappingSourceError, match="nested too deeply"):
        parse_fribb(data)


def test_fribb_deeply_nested_inside_an_entry_is_a_clear_error() -> None:
    data = b'[{"anilist_id": 1, "season": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]"
    with pytest.raises(MappingSourceError, match="nested too deeply"):
        parse_fribb(data)


@pytest.mark.parametrize(
    "document",
    [
        {"anilist_id": 1},
        "anime",
        42,
        None,
        [1, "two", None, [3]],
        [{"anilist_id": {"id": 1}}, {"anilist_id": None}, {"anilist_id": [None, "x"]}],
        [{"anilist_id": -1}, {"anilist_id": 0}, {"anilist_id": 1.5}, {"anilist_id": True}],
    ],
    ids=["object", "string", "number", "null", "not-objects", "id-wrong-type", "id-bad-value"],
)
def test_fribb_wrong_types_are_a_clear_error(document: Any) -> None:
    with pytest.raises(MappingSourceError) as caught:
        parse_fribb(json.dumps(document).encode())
    assert caught.value.reason


@pytest.mark.parametrize("depth", [2, 600])
def test_fribb_nested_lists_within_json_limits_are_not_ids(depth: int) -> None:
    # Deep enough to parse as JSON but (before the fix) to recurse past the stack limit.
    nested = b"[" * depth + b"1" + b"]" * depth
    data = b'[{"anilist_id": 1, "tvdb_id": ' + nested + b', "mal_id": ' + nested + b"}]"
    (only,) = parse_fribb(data).entries
    assert (only.anilist_id, only.tvdb_id, only.mal_id) == (1, None, None)
    with pytest.raises(MappingSourceError, match="has an anilist_id"):
        parse_fribb(b'[{"anilist_id": ' + nested + b"}]")


def test_fribb_wrong_typed_fields_are_dropped_not_fatal() -> None:
    entry = {
        "anilist_id": 7,
        "tvdb_id": {"id": 1},
        "themoviedb_id": {"tv": [None], "movie": "abc"},
        "imdb_id": 5,
        "mal_id": "x",
        "season": {"tmdb": "x", "tvdb": [1]},
        "episode_offset": "nine",
        "type": ["TV"],
    }
    parsed = parse_fribb(json.dumps([entry]).encode())
    (only,) = parsed.entries
    assert only.anilist_id == 7
    assert (only.tvdb_id, only.tmdb_id, only.imdb_id, only.mal_id) == (None, None, None, None)
    assert (only.season, only.episode_offset) == (None, None)
