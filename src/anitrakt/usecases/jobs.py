"""Background syncs ("jobs"): started at once, run in a worker thread, watched by polling.

A job runs the same use case as the synchronous routes (`usecases.sync.runs.run_sync`),
so it takes the same one-at-a-time database lease; its phases and counts are written to
the `jobs` table as it goes (`RunProgress`), and its report when it ends, so a page
reload (or another process) sees the same job. Jobs of one process run one after the
other. A job whose process died (a crash, a kill) is marked failed when a runner starts
on the same host, or by any runner once the sync lease it would hold is gone.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anitrakt.domain.values import SyncMode
from anitrakt.errors import AnitraktError, InputError, NotFoundError
from anitrakt.store.db import UNAVAILABLE_ERRORS
from anitrakt.store.jobs import (
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    active_jobs,
    add_job,
    fail_jobs,
    finish_job,
    get_job,
    list_jobs,
    prune_jobs,
    set_job_progress,
    start_job,
)
from anitrakt.store.locks import Holder, live_holder, pid_alive
from anitrakt.store.models import JobRow
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.database import DATABASE_ERRORS
from anitrakt.usecases.sync.lock import (
    LEASE_TTL,
    SYNC_LOCK,
    RunningSync,
    already_running,
    current_sync,
)
from anitrakt.usecases.sync.report import RunProgress, SyncReport
from anitrakt.usecases.sync.runs import run_sync

logger = logging.getLogger("anitrakt.jobs")

JOB_MODES = (SyncMode.FULL, SyncMode.COMPLETED, SyncMode.WATCHING)
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED)
# `GET /api/jobs?state=active`: queued or running.
ACTIVE_FILTER = "active"
LIST_LIMIT = 50
# Ended jobs kept (newest first); older ones are deleted when a runner starts.
KEEP_JOBS = 500
CRASHED = (
    "anitrakt stopped while this job ran (a crash or a restart); every batch it confirmed "
    "is recorded: start the sync again to post the rest"
)
SHUT_DOWN = "anitrakt shut down before this job started; start it again"

# How a finished run's report is kept: the edge's JSON body for it (`schemas.sync`).
Render = Callable[[SyncReport], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    """One job as the API shows it."""

    id: str
    mode: str
    dry_run: bool
    state: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: RunProgress | None
    report: dict[str, Any] | None
    error: str | None

    @classmethod
    def of(cls, row: JobRow) -> Job:
        progress = None
        if row.phase is not None:
            progress = RunProgress(row.phase, row.done, row.total, row.note or "")
        report = None
        if row.report:
            try:
                decoded = json.loads(row.report)
            except ValueError:
                decoded = None
            report = decoded if isinstance(decoded, dict) else None
        return cls(
            id=row.id,
            mode=row.mode,
            dry_run=row.dry_run,
            state=row.state,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            progress=progress,
            report=report,
            error=row.error,
        )


def parse_mode(value: str) -> SyncMode:
    """A job's mode from the request: full, completed or watching."""
    for mode in JOB_MODES:
        if value == mode.value:
            return mode
    names = ", ".join(m.value for m in JOB_MODES)
    raise InputError(f"mode must be one of {names}, not {value!r}", field="mode")


def find_job(runtime: Runtime, job_id: str) -> Job:
    with runtime.sessions() as session:
        row = get_job(session, job_id)
        if row is None:
            raise NotFoundError(f"no job {job_id!r}", field="id")
        return Job.of(row)


def recent_jobs(runtime: Runtime, state: str | None = None, limit: int = LIST_LIMIT) -> list[Job]:
    """Newest first; `state` one of queued, running, succeeded, failed, or active."""
    if state is not None and state not in (*STATES, ACTIVE_FILTER):
        names = ", ".join((*STATES, ACTIVE_FILTER))
        raise InputError(f"state must be one of {names}, not {state!r}", field="state")
    with runtime.sessions() as session:
        if state == ACTIVE_FILTER:
            rows = list(reversed(active_jobs(session)))
        else:
            rows = list_jobs(session, state=state, limit=max(1, min(limit, 500)))
        return [Job.of(row) for row in rows]


class JobRunner:
    """This process's job worker: one thread, one job at a time, fed by `submit`."""

    def __init__(self, runtime: Runtime, render: Render) -> None:
        self.runtime = runtime
        self._render = render
        self.holder = Holder.this_process()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._submit_guard = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0
        self._recovered = False

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> int:
        """Mark the jobs a dead process left behind failed, then start the worker.

        Returns how many jobs were marked failed.
        """
        failed = self._recover_once()
        self._thread = threading.Thread(target=self._work, name="anitrakt-jobs", daemon=True)
        self._thread.start()
        return failed

    def stop(self, timeout: float) -> None:
        """Let the running job end (the runtime's stop flag ends it at a batch boundary),
        and fail what is still queued."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None
        leftover = []
        while not self._queue.empty():
            job_id = self._queue.get_nowait()
            if job_id is not None:
                leftover.append(job_id)
        if leftover:
            with self.runtime.sessions.begin() as session:
                fail_jobs(session, leftover, now=self.runtime.now(), error=SHUT_DOWN)

    def _recover_once(self) -> int:
        """`recover`, until it has worked once: a database that is down or not migrated
        yet must not stop start-up (readiness reports it); the first job submitted tries
        again, so jobs a crash left behind never block new ones."""
        if self._recovered:
            return 0
        try:
            count = self.recover()
        except DATABASE_ERRORS as exc:
            logger.warning("could not check for jobs cut off by a restart: %s", type(exc).__name__)
            return 0
        self._recovered = True
        return count

    def recover(self) -> int:
        """Fail the queued or running jobs whose process is gone; forget old ended ones."""
        runtime = self.runtime
        now = runtime.now()
        with runtime.sessions.begin() as session:
            lease = live_holder(session, SYNC_LOCK, ttl=LEASE_TTL, now=now)
            orphans = [
                row.id for row in active_jobs(session) if self._orphaned(row, lease is not None)
            ]
            count = fail_jobs(session, orphans, now=now, error=CRASHED)
            prune_jobs(session, keep=KEEP_JOBS)
        if count:
            runtime.events.warn(f"{count} background job(s) were cut off by a restart: {CRASHED}")
        return count

    def _orphaned(self, row: JobRow, lease_held: bool) -> bool:
        other = Holder.decode(row.runner)
        if other is None:
            return True
        if other.owner == self.holder.owner:
            return False
        if other.host == self.holder.host:
            # Same host: its process is this one restarted (same pid, e.g. pid 1 in a
            # container) or one that no longer exists.
            return other.pid == self.holder.pid or not pid_alive(other.pid)
        # Another machine: a running job holds the sync lease while it lives.
        return row.state == RUNNING and not row.dry_run and not lease_held

    # -- submitting ---------------------------------------------------------------------

    def submit(self, mode: SyncMode, *, dry_run: bool = False) -> Job:
        """Queue a job and return it at once; 409 when a sync runs or a job waits."""
        runtime = self.runtime
        self._recover_once()
        with self._submit_guard, runtime.sessions.begin() as session:
            busy = active_jobs(session)
            if busy:
                raise self._busy(busy[0])
            if not dry_run and live_holder(session, SYNC_LOCK, ttl=LEASE_TTL, now=runtime.now()):
                raise already_running(current_sync(runtime.sessions))
            job_id = uuid.uuid4().hex
            row = add_job(
                session,
                job_id,
                mode.value,
                dry_run=dry_run,
                runner=self.holder.encode(),
                now=runtime.now(),
            )
            job = Job.of(row)
            with self._idle:
                self._pending += 1
        self._queue.put(job_id)
        runtime.events.info(f"{mode.label}{' (dry run)' if dry_run else ''} job {job_id} queued")
        return job

    @staticmethod
    def _busy(row: JobRow) -> AnitraktError:
        return already_running(RunningSync(row.mode, row.started_at or row.created_at, row.id))

    def wait_idle(self, timeout: float) -> bool:
        """Block until every submitted job has ended (tests, shutdown); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # -- running ------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self.run(job_id)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def run(self, job_id: str) -> None:
        """Run one queued job to its end, recording its progress and report."""
        runtime = self.runtime
        with runtime.sessions.begin() as session:
            row = get_job(session, job_id)
            if row is None or row.state != QUEUED:
                return
            mode, dry_run = SyncMode(row.mode), row.dry_run
            start_job(session, job_id, runtime.now())

        def progress(step: RunProgress) -> None:
            try:
                with runtime.sessions.begin() as session:
                    set_job_progress(session, job_id, step.phase, step.done, step.total, step.note)
            except UNAVAILABLE_ERRORS:  # progress is a nicety; the run goes on
                logger.warning("could not record the progress of job %s", job_id)

        report: str | None = None
        try:
            result = run_sync(runtime, mode, dry_run=dry_run, progress=progress, job_id=job_id)
            report = json.dumps(self._render(result))
            error = result.error
        except AnitraktError as exc:
            error = exc.message
        except Exception as exc:  # the job must end, whatever happened
            logger.exception("job %s failed", job_id)
            error = f"internal error ({type(exc).__name__}); see the server log"
        try:
            with runtime.sessions.begin() as session:
                finish_job(
                    session,
                    job_id,
                    succeeded=error is None,
                    now=runtime.now(),
                    report=report,
                    error=error,
                )
        except UNAVAILABLE_ERRORS:
            logger.warning("could not record the end of job %s; a restart marks it failed", job_id)
