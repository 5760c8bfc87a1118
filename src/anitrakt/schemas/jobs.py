"""The shapes of background sync jobs (`POST /api/jobs`, `GET /api/jobs[/{id}]`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr

from anitrakt.domain.instants import iso_instant
from anitrakt.usecases.jobs import Job


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mode: StrictStr
    dryRun: StrictBool = False


class JobStarted(BaseModel):
    """The 202 answer: the job is queued; poll `url`."""

    id: str
    state: str
    url: str


class JobProgressBody(BaseModel):
    phase: str
    done: int | None = None
    total: int | None = None
    # e.g. "waiting 30 s for Trakt: it asked us to slow down (HTTP 429), then retrying"
    note: str = ""
    text: str


class JobBody(BaseModel):
    id: str
    mode: str
    dryRun: bool
    state: str
    createdAt: str | None
    startedAt: str | None
    finishedAt: str | None
    progress: JobProgressBody | None
    # The run's report once it ended (the shape of `POST /api/full-sync`'s answer).
    report: dict[str, Any] | None
    error: str | None

    @classmethod
    def of(cls, job: Job) -> JobBody:
        step = job.progress
        return cls(
            id=job.id,
            mode=job.mode,
            dryRun=job.dry_run,
            state=job.state,
            createdAt=iso_instant(job.created_at),
            startedAt=iso_instant(job.started_at),
            finishedAt=iso_instant(job.finished_at),
            progress=None
            if step is None
            else JobProgressBody(
                phase=step.phase, done=step.done, total=step.total, note=step.note, text=step.text
            ),
            report=job.report,
            error=job.error,
        )


class JobList(BaseModel):
    count: int
    items: list[JobBody]
