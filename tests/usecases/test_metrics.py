"""`GET /metrics` as a Prometheus server scrapes it, after real runs against the fakes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.trakt import TraktClient
from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.store.db import create_db_engine, create_session_factory
from anitrakt.store.system_config import set_config
from anitrakt.store.tokens import SqlTokenStore
from anitrakt.usecases.metrics import Metrics
from anitrakt.web.app import create_app
from fakes.server import free_port
from fakes.transport import SyncASGITransport
from sync_world import LOST, SPLIT, World

TOKEN = "metrics-token-0123456789"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """{(sample name, sorted labels): value} of an exposition text."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings).small_library()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    locked = world.settings.model_copy(update={"anitrakt_api_token": SecretStr(TOKEN)})
    with TestClient(create_app(locked, upstream_transport=world.transport())) as test_client:
        test_client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield test_client


def test_metrics_want_the_token_when_one_is_set(client: TestClient) -> None:
    response = client.get("/metrics", headers={"Authorization": ""})

    assert response.status_code == 401
    assert response.json()["error"].startswith("missing or invalid API token")


def test_a_run_shows_in_the_counters_and_the_stored_state(world: World, client: TestClient) -> None:
    world.watched(SPLIT, "1 - 3")
    world.watched(LOST, "1")
    assert client.post("/api/full-sync").status_code == 200

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    got = samples(response.text)
    assert got[("anitrakt_sync_runs_total", (("mode", "full"), ("outcome", "succeeded")))] == 1
    assert got[("anitrakt_plays_posted_total", (("mode", "full"),))] == 3
    requests = "anitrakt_upstream_requests_total"
    assert got[(requests, (("status", "200"), ("upstream", "AniList")))] >= 1
    assert got[(requests, (("status", "201"), ("upstream", "Trakt")))] == 1  # the one post
    assert got[("anitrakt_entries_unmapped", ())] == 1
    assert got[("anitrakt_last_sync_failed", ())] == 0
    assert got[("anitrakt_database_up", ())] == 1
    manual = got[("anitrakt_last_success_timestamp_seconds", (("run", "manual"),))]
    assert abs(manual - datetime.now(UTC).timestamp()) < 3600
    assert ("anitrakt_last_success_timestamp_seconds", (("run", "automated"),)) not in got


def test_a_failed_run_is_counted_as_failed(world: World, client: TestClient) -> None:
    world.watched(SPLIT, "1")
    world.trakt.revoke_tokens(world.tokens.access_token)
    client.post("/api/full-sync")

    got = samples(client.get("/metrics").text)

    assert got[("anitrakt_sync_runs_total", (("mode", "full"), ("outcome", "failed")))] == 1
    assert got[("anitrakt_last_sync_failed", ())] == 1


def test_retry_waits_are_counted_in_seconds_by_upstream_and_reason(
    world: World, sessions: sessionmaker[Session]
) -> None:
    metrics = Metrics(sessions)
    world.trakt.fail_next(1, status=429, retry_after="7", path="/sync/watched/*")
    world.trakt.fail_next(1, status=502, path="/sync/watched/*")
    trakt = TraktClient.from_settings(
        world.settings,
        SqlTokenStore(sessions),
        clock=world.clock,
        transport=SyncASGITransport(world.trakt.app),
        observer=metrics,
    )
    with trakt:
        trakt.watched_shows()

    got = samples(metrics.render().decode())
    waits = "anitrakt_upstream_retry_wait_seconds_total"
    assert got[(waits, (("reason", "rate_limited"), ("upstream", "Trakt")))] == 7
    assert got[(waits, (("reason", "retry"), ("upstream", "Trakt")))] > 0
    for status in ("429", "502", "200"):
        key = ("anitrakt_upstream_requests_total", (("status", status), ("upstream", "Trakt")))
        assert got[key] == 1


def test_mapping_source_age_is_read_at_scrape_time(sessions: sessionmaker[Session]) -> None:
    now = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    with sessions.begin() as session:
        set_config(session, keys.STATUS_FRIBBS_LAST_SYNC, (now - timedelta(hours=25)).isoformat())

    got = samples(Metrics(sessions, now=lambda: now).render().decode())

    assert got[("anitrakt_mapping_source_age_seconds", (("source", "fribbs"),))] == 25 * 3600
    stamp = got[("anitrakt_mapping_source_refreshed_timestamp_seconds", (("source", "fribbs"),))]
    assert stamp == (now - timedelta(hours=25)).timestamp()
    assert ("anitrakt_mapping_source_age_seconds", (("source", "otaku"),)) not in got


def test_an_unreachable_database_still_scrapes(tmp_path: Path) -> None:
    engine = create_db_engine(f"postgresql+psycopg://u@127.0.0.1:{free_port()}/x")
    try:
        got = samples(Metrics(create_session_factory(engine)).render().decode())
    finally:
        engine.dispose()

    assert got[("anitrakt_database_up", ())] == 0
    assert got[("anitrakt_info", (("version", "0.1.0"),))] == 1
