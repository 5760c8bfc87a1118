"""`POST /api/jobs` → 202 at once, `GET /api/jobs[/{id}]`, and 409s that name the running sync."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store.jobs import add_job, get_job
from anitrakt.store.locks import Holder
from anitrakt.usecases.jobs import JobRunner
from anitrakt.usecases.sync.lock import RunningSync, sync_lock
from anitrakt.web.app import create_app
from sync_world import SPLIT, World

# Long enough for a job over the in-process fakes on a loaded machine; an event, not a sleep.
JOB_TIMEOUT_SECONDS = 60.0


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings).small_library()


@pytest.fixture
def app(world: World) -> FastAPI:
    return create_app(world.settings, upstream_transport=world.transport())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _runner(app: FastAPI) -> JobRunner:
    runner: JobRunner = app.state.jobs
    return runner


def test_a_job_answers_202_at_once_then_reports_progress_and_result(
    world: World, app: FastAPI, client: TestClient
) -> None:
    world.watched(SPLIT, "1 - 24")

    started = client.post("/api/jobs", json={"mode": "full"})

    assert started.status_code == 202
    body = started.json()
    assert body["state"] == "queued"
    assert body["url"] == f"/api/jobs/{body['id']}" == started.headers["location"]
    assert _runner(app).wait_idle(JOB_TIMEOUT_SECONDS)
    job = client.get(body["url"]).json()
    assert job["id"] == body["id"]
    assert job["mode"] == "full"
    assert job["dryRun"] is False
    assert job["state"] == "succeeded"
    assert job["error"] is None
    assert job["startedAt"]
    assert job["finishedAt"]
    assert job["progress"] == {
        "phase": "posting",
        "done": 24,
        "total": 24,
        "note": "",
        "text": "posting 24/24",
    }
    assert job["report"]["added"] == 24
    assert job["report"]["message"].startswith("full sync")
    assert sum(world.history().values()) == 24
    assert client.get("/api/status").json()["lastManualSync"] is not None


def test_jobs_are_listed_newest_first_and_by_state(app: FastAPI, client: TestClient) -> None:
    first = client.post("/api/jobs", json={"mode": "completed", "dryRun": True}).json()
    assert _runner(app).wait_idle(JOB_TIMEOUT_SECONDS)
    second = client.post("/api/jobs", json={"mode": "watching", "dryRun": True}).json()
    assert _runner(app).wait_idle(JOB_TIMEOUT_SECONDS)

    listed = client.get("/api/jobs").json()
    assert [j["id"] for j in listed["items"]][:2] == [second["id"], first["id"]]
    assert client.get("/api/jobs", params={"state": "running"}).json() == {"count": 0, "items": []}
    done = client.get("/api/jobs", params={"state": "succeeded"}).json()
    assert {j["id"] for j in done["items"]} == {first["id"], second["id"]}
    assert all(j["report"]["dryRun"] for j in done["items"])


def test_bad_job_requests_are_clear_4xx(client: TestClient) -> None:
    bad_mode = client.post("/api/jobs", json={"mode": "everything"})
    assert bad_mode.status_code == 400
    assert "mode must be one of full, completed, watching" in bad_mode.json()["error"]
    assert client.post("/api/jobs", json={"mode": "full", "dryRun": "yes"}).status_code == 400
    missing = client.get("/api/jobs/does-not-exist")
    assert missing.status_code == 404
    assert "no job" in missing.json()["error"]
    assert client.get("/api/jobs", params={"state": "exploded"}).status_code == 400


def test_a_409_from_the_jobs_and_the_sync_routes_names_the_running_sync(
    world: World, client: TestClient
) -> None:
    started = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    running = RunningSync("completed", started, "job123")

    with sync_lock(world.sessions, running=running):
        for answer in (
            client.post("/api/jobs", json={"mode": "full"}),
            client.post("/api/full-sync"),
            client.post("/api/watching-sync"),
        ):
            assert answer.status_code == 409
            body = answer.json()
            assert "sync already running" in body["error"]
            assert (
                "a completed sync is running (job job123, started 2026-12-01 09:30:00 UTC)"
                in (body["error"])
            )
            assert body["details"]["running"] == {
                "mode": "completed",
                "startedAt": started.isoformat(),
                "jobId": "job123",
            }


def test_a_job_cut_off_by_a_crash_is_failed_after_the_restart(world: World, app: FastAPI) -> None:
    # What a killed `anitrakt serve` leaves: a running job of a process that is gone
    # (here: this very pid under another owner, as a restarted container has).
    ghost = Holder("the-killed-server", socket.gethostname(), os.getpid()).encode()
    with world.sessions.begin() as session:
        add_job(session, "cut-off", "full", dry_run=False, runner=ghost, now=world.runtime.now())
        get_job(session, "cut-off").state = "running"  # type: ignore[union-attr]

    with TestClient(app) as client:
        job = client.get("/api/jobs/cut-off").json()

        assert job["state"] == "failed"
        assert "anitrakt stopped while this job ran" in job["error"]
        assert client.post("/api/jobs", json={"mode": "full", "dryRun": True}).status_code == 202
