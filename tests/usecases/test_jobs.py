"""Background jobs and run progress: the phases a run tells, rate-limit waits said as such,
jobs that end with their report, and jobs a dead process left behind marked failed."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain.values import SyncMode
from anitrakt.errors import ConflictError
from anitrakt.store.jobs import add_job, get_job
from anitrakt.store.locks import Holder
from anitrakt.store.logs import list_logs
from anitrakt.usecases.jobs import CRASHED, JobRunner, find_job, recent_jobs
from anitrakt.usecases.sync.lock import RunningSync, sync_lock
from anitrakt.usecases.sync.report import RunProgress, SyncReport
from anitrakt.usecases.sync.runs import run_sync
from sync_world import SPLIT, World


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings).small_library()


def _render(report: SyncReport) -> dict[str, Any]:
    return {"message": report.message, "added": report.added, "dryRun": report.dry_run}


def test_a_run_tells_each_phase_in_order_then_posting_counts(world: World) -> None:
    world.watched(SPLIT, "1 - 24")
    steps: list[RunProgress] = []

    report = run_sync(world.runtime, SyncMode.FULL, progress=steps.append)

    assert report.added == 24
    phases = list(dict.fromkeys(step.phase for step in steps))
    assert phases == ["reading AniList", "resolving", "reading Trakt", "posting"]
    assert [(s.done, s.total) for s in steps if s.phase == "posting"] == [(0, 24), (24, 24)]
    assert steps[-1].text == "posting 24/24"


def test_a_rate_limit_wait_is_told_and_logged(world: World) -> None:
    world.watched(SPLIT, "1 - 24")
    world.trakt.fail_next(1, status=429, retry_after="30", path="/sync/history")
    steps: list[RunProgress] = []

    report = run_sync(world.runtime, SyncMode.FULL, progress=steps.append)

    assert report.error is None
    assert report.added == 24
    [wait] = [s for s in steps if s.note]
    assert wait.phase == "posting"
    assert "waiting 30 s for Trakt" in wait.note
    assert "HTTP 429" in wait.note
    assert "waiting 30 s for Trakt" in wait.text
    with world.sessions() as session:
        messages = [row.message for row in list_logs(session)]
    assert any("waiting 30 s for Trakt" in m and "429" in m for m in messages)


def test_a_job_runs_to_its_report_and_records_progress(world: World) -> None:
    world.watched(SPLIT, "1 - 24")
    runner = JobRunner(world.runtime, _render)

    job = runner.submit(SyncMode.FULL)
    assert job.state == "queued"
    runner.run(job.id)

    done = find_job(world.runtime, job.id)
    assert done.state == "succeeded"
    assert done.error is None
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.progress == RunProgress("posting", 24, 24)
    assert done.report is not None
    assert done.report["added"] == 24
    assert sum(world.history().values()) == 24


def test_a_second_job_waits_for_none_it_is_refused_naming_the_first(world: World) -> None:
    runner = JobRunner(world.runtime, _render)
    first = runner.submit(SyncMode.COMPLETED)

    with pytest.raises(ConflictError) as caught:
        runner.submit(SyncMode.FULL)

    assert f"job {first.id}" in caught.value.message
    assert "completed sync" in caught.value.message
    assert caught.value.details == {
        "running": {
            "mode": "completed",
            "startedAt": first.created_at.isoformat(),
            "jobId": first.id,
        }
    }


def test_a_job_refused_while_another_sync_holds_the_lease_names_that_sync(world: World) -> None:
    runner = JobRunner(world.runtime, _render)
    started = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

    with sync_lock(world.sessions, running=RunningSync("watching", started)):
        with pytest.raises(ConflictError, match=r"a watching sync is running.*10:00:00 UTC"):
            runner.submit(SyncMode.FULL)
        # A dry run reads only: it needs no lease.
        dry = runner.submit(SyncMode.FULL, dry_run=True)
    assert dry.dry_run
    assert recent_jobs(world.runtime, "queued")[0].id == dry.id


def test_jobs_a_dead_process_left_running_are_marked_failed_on_start(world: World) -> None:
    now = world.runtime.now()
    # The same pid under another owner: this process restarted (pid 1 in a container).
    restarted = Holder("before-the-crash", socket.gethostname(), os.getpid()).encode()
    elsewhere = Holder("other-machine", "another-host", 4242).encode()
    with world.sessions.begin() as session:
        add_job(session, "crashed", "full", dry_run=False, runner=restarted, now=now)
        add_job(session, "remote", "full", dry_run=False, runner=elsewhere, now=now)
        get_job(session, "crashed").state = "running"  # type: ignore[union-attr]

    runner = JobRunner(world.runtime, _render)
    assert runner.recover() == 1

    crashed = find_job(world.runtime, "crashed")
    assert crashed.state == "failed"
    assert crashed.error == CRASHED
    assert crashed.finished_at is not None
    # Queued on another machine that may still be alive: left alone.
    assert find_job(world.runtime, "remote").state == "queued"


def test_jobs_are_listed_newest_first_and_filtered_by_state(world: World) -> None:
    runner = JobRunner(world.runtime, _render)
    first = runner.submit(SyncMode.FULL, dry_run=True)
    runner.run(first.id)
    world.clock.advance(60)
    second = runner.submit(SyncMode.COMPLETED, dry_run=True)

    assert [j.id for j in recent_jobs(world.runtime)] == [second.id, first.id]
    assert [j.id for j in recent_jobs(world.runtime, "active")] == [second.id]
    assert [j.id for j in recent_jobs(world.runtime, "succeeded")] == [first.id]
    with pytest.raises(ConflictError):
        runner.submit(SyncMode.FULL)


def test_only_the_newest_ended_jobs_are_kept(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("anitrakt.usecases.jobs.KEEP_JOBS", 2)
    runner = JobRunner(world.runtime, _render)
    ids = []
    for _ in range(3):
        job = runner.submit(SyncMode.FULL, dry_run=True)
        runner.run(job.id)
        ids.append(job.id)
        world.clock.advance(60)
    waiting = runner.submit(SyncMode.FULL, dry_run=True)

    runner.recover()

    assert [j.id for j in recent_jobs(world.runtime)] == [waiting.id, ids[2], ids[1]]
