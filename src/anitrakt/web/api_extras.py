"""The features beyond history (docs/beyond-history.md): their state, a preview, a run.

Thin: parse, call one use case, render. A run of the features alone holds the sync lease
(409 while another sync runs) and answers with the error's status when one failed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from anitrakt.schemas.extras import ExtrasPreview, FeatureStateBody
from anitrakt.schemas.sync import SyncRunBody
from anitrakt.usecases.extras import feature_states
from anitrakt.usecases.sync.runs import preview_extras, run_extras
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.routing import api_router, get_and_post

router = api_router(400, 401, 409, 502, 503)


@router.get("/extras", response_model=list[FeatureStateBody])
def extras_state(runtime: RuntimeDep) -> list[FeatureStateBody]:
    """Each feature beyond history: its setting (on/off) and its last result."""
    return [FeatureStateBody.of(state) for state in feature_states(runtime)]


@router.get("/extras/preview", response_model=ExtrasPreview)
def extras_preview(runtime: RuntimeDep) -> ExtrasPreview:
    """What every feature would write now, whether it is on or not; writes nothing."""
    return ExtrasPreview.of(preview_extras(runtime))


def extras_sync(
    runtime: RuntimeDep, dry_run: Annotated[bool, Query(alias="dryRun")] = False
) -> SyncRunBody:
    """Run the features that are on, alone; the error that stopped one carries the body."""
    report = run_extras(runtime, dry_run=dry_run)
    body = SyncRunBody.of(report)
    if report.failure is not None:
        raise report.failure.restated(report.message, details=body.model_dump())
    return body


get_and_post(router, "/extras-sync", extras_sync, response_model=SyncRunBody)
