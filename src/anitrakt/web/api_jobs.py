"""Background sync jobs: start one (202 at once), read one, list them.

Thin: parse, call one use case from `anitrakt.usecases.jobs`, render. The runner lives
on the app (`app.state.jobs`, started by the lifespan).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from anitrakt.schemas.jobs import JobBody, JobList, JobRequest, JobStarted
from anitrakt.usecases.jobs import JobRunner, find_job, parse_mode, recent_jobs
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.routing import api_router

router = api_router(400, 401, 404, 409)


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


@router.post("/jobs", status_code=202, response_model=JobStarted)
def start_job_route(
    body: JobRequest, runner: Annotated[JobRunner, Depends(_runner)]
) -> JSONResponse:
    """Start a sync in the background (mode full, completed or watching); 409 while one runs."""
    job = runner.submit(parse_mode(body.mode), dry_run=body.dryRun)
    url = f"/api/jobs/{job.id}"
    started = JobStarted(id=job.id, state=job.state, url=url)
    return JSONResponse(
        started.model_dump(),
        status_code=202,
        headers={"Location": url, "Cache-Control": "no-store"},
    )


@router.get("/jobs", response_model=JobList)
def list_jobs_route(
    runtime: RuntimeDep,
    state: Annotated[
        str | None, Query(description="queued, running, succeeded, failed, or active")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobList:
    """Jobs, newest first."""
    items = [JobBody.of(job) for job in recent_jobs(runtime, state, limit)]
    return JobList(count=len(items), items=items)


@router.get("/jobs/{job_id}", response_model=JobBody)
def job_route(
    runtime: RuntimeDep, job_id: Annotated[str, Path(min_length=1, max_length=64)]
) -> JobBody:
    """One job: its state, progress (phase, done, total) and, once ended, its report."""
    return JobBody.of(find_job(runtime, job_id))
