"""Placement routes: entries held for review, the one-click fix, and explain.

Thin: parse, call one use case from `anitrakt.usecases.review`, render.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from anitrakt.schemas.review import ExplainBody, ReviewFixBody, ReviewFixRequest, ReviewList
from anitrakt.usecases.explain import explain
from anitrakt.usecases.review import fix_review, held_for_review
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.routing import api_router

router = api_router(400, 401, 404)


@router.get("/review", response_model=ReviewList)
def review(runtime: RuntimeDep) -> ReviewList:
    """Entries with episodes held for review (not posted), each with the reason."""
    return ReviewList.of(held_for_review(runtime))


@router.post("/review/{anilist_id}/fix", response_model=ReviewFixBody)
def fix(runtime: RuntimeDep, anilist_id: str, body: ReviewFixRequest) -> ReviewFixBody:
    """Say which Trakt episode the entry's AniList episode 1 is; the rest follow."""
    return ReviewFixBody.of(fix_review(runtime, anilist_id, body.season, body.episode))


@router.get("/explain/{anilist_id}", response_model=ExplainBody)
def explain_entry(
    runtime: RuntimeDep,
    anilist_id: str,
    episodes: Annotated[str | None, Query(description="how many episodes to place")] = None,
) -> ExplainBody:
    """Where each AniList episode would land on Trakt, by which rule; changes nothing."""
    return ExplainBody.of(explain(runtime, anilist_id, episodes))
