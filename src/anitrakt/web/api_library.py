"""The library: every AniList entry with its mapping, progress and state; one entry's detail.

Thin: parse, call one use case from `anitrakt.usecases.library` (or `progress` for the
reset), render. Mapping and overrides are fixed through their own routes
(`POST /api/manual-map`, `POST /api/overrides`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from anitrakt.domain.ids import parse_anilist_id
from anitrakt.schemas.library import LibraryDetailBody, LibraryItem, LibraryList, ResetBody
from anitrakt.usecases.covers import cached_cover_ids
from anitrakt.usecases.library import library, library_entry
from anitrakt.usecases.progress import reset_progress
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.routing import api_router

router = api_router(400, 401, 404, 502)


@router.get("/library", response_model=LibraryList)
def library_route(
    runtime: RuntimeDep,
    state: Annotated[
        str | None, Query(description="ok, pending, needs review (or needs-review), unmapped")
    ] = None,
    q: Annotated[str | None, Query(description="part of the title")] = None,
) -> LibraryList:
    """Every entry on the AniList list (reads the list), filtered by state and title."""
    view = library(runtime, state=state, query=q)
    covers = cached_cover_ids(runtime)
    items = [LibraryItem.of(entry, covers) for entry in view.entries]
    return LibraryList(count=len(items), states=view.counts, items=items)


@router.get("/library/{anilist_id}", response_model=LibraryDetailBody)
def library_detail(runtime: RuntimeDep, anilist_id: str) -> LibraryDetailBody:
    """One entry: where each AniList episode landed or will land, by which rule."""
    return LibraryDetailBody.of(library_entry(runtime, anilist_id))


@router.post("/library/{anilist_id}/reset-progress", response_model=ResetBody)
def library_reset(runtime: RuntimeDep, anilist_id: str) -> ResetBody:
    """Forget the entry's last synced episode: the next sync re-sends it (Trakt's watched
    state keeps it from posting twice)."""
    entry = parse_anilist_id(anilist_id)
    done = reset_progress(runtime, entry)
    message = (
        f"progress of AniList {entry} reset; the next sync re-sends it"
        if done
        else f"AniList {entry} had no progress to reset"
    )
    return ResetBody(anilistId=entry, reset=done, message=message)
