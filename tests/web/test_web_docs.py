"""`/docs` and `/openapi.json` (issue 12, point 9): local, scriptless, declared and guarded."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from anitrakt.config import Settings
from anitrakt.web.app import create_app
from anitrakt.web.edge import PUBLIC_API_PATHS

TOKEN = "docs-test-token-0123456789abcdef"
# Container health checks ask these without a token, by design (README "Running it").
HEALTH_PROBES = {"/livez", "/readyz"}


@pytest.fixture
def open_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def token_client(settings: Settings) -> Iterator[TestClient]:
    guarded = settings.model_copy(update={"anitrakt_api_token": SecretStr(TOKEN)})
    with TestClient(create_app(guarded)) as client:
        yield client


def test_the_docs_page_loads_nothing_from_elsewhere_and_runs_no_script(
    open_client: TestClient,
) -> None:
    response = open_client.get("/docs")

    assert response.status_code == 200
    html = response.text
    # Only the app's own page scripts (app.js, jobs.js, library.js), never an inline one.
    own = re.sub(r'<script src="/static/[a-z]+\.js" defer></script>', "", html)
    assert "<script" not in own
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    assert all(url.startswith(("/", "#")) for url in urls), urls
    assert "cdn" not in html.lower()


def test_the_docs_page_lists_every_operation(open_client: TestClient) -> None:
    document = open_client.get("/openapi.json").json()
    html = open_client.get("/docs").text

    for path, operations in document["paths"].items():
        for method in operations:
            assert f'data-testid="op-{method.upper()}-{path}"' in html, (method, path)
    assert 'id="schema-ManualMapRequest"' in html
    assert "changes state" in html


def test_the_bearer_scheme_is_declared_on_every_guarded_operation(
    open_client: TestClient,
) -> None:
    document = open_client.get("/openapi.json").json()

    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "ANITRAKT_API_TOKEN" in scheme["description"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            public = path in PUBLIC_API_PATHS or path in HEALTH_PROBES
            expected = [] if public else [{"bearerAuth": []}]
            assert operation.get("security", []) == expected, (method, path)


def test_mutating_get_operations_are_marked(open_client: TestClient) -> None:
    paths = open_client.get("/openapi.json").json()["paths"]

    assert paths["/api/full-sync"]["get"]["x-changes-state"] is True
    assert paths["/api/cron"]["get"]["x-changes-state"] is True
    assert "x-changes-state" not in paths["/api/status"]["get"]


def test_with_a_token_docs_and_openapi_need_it(token_client: TestClient) -> None:
    page = token_client.get("/docs", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fdocs"
    document = token_client.get("/openapi.json")
    assert document.status_code == 401
    assert "paths" not in document.text

    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert token_client.get("/openapi.json", headers=bearer).json()["paths"]
    assert token_client.get("/docs", headers=bearer).status_code == 200


def test_redoc_goes_to_the_local_docs(open_client: TestClient) -> None:
    response = open_client.get("/redoc", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/docs"
