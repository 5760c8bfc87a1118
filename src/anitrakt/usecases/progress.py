"""How far each AniList entry has been posted (`sync_progress`), as people look at it.

Resetting an entry's progress is the seed's documented way to re-send it from episode 1
(docs/state-model.md); it is logged, like every change a person makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from anitrakt.store.loop_reads import cacheable
from anitrakt.store.progress import count_progress, delete_progress, get_progress, list_progress
from anitrakt.store.titles import get_titles
from anitrakt.usecases.container import Runtime


@dataclass(frozen=True, slots=True)
class ProgressEntry:
    """Episodes 1…`last_abs` of the entry are on Trakt; `title` as a sync last saw it."""

    anilist_id: int
    last_abs: int
    updated_at: datetime | None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ProgressPage:
    count: int
    items: tuple[ProgressEntry, ...]


@cacheable
def progress_page(session: Session, *, limit: int) -> ProgressPage:
    """The most recently updated entries (newest first), with their titles (read-only:
    the API runs it with `Runtime.read_from_loop`)."""
    rows = list_progress(session, limit=limit)
    total = count_progress(session)
    items = tuple(ProgressEntry(r.anilist_id, r.last_abs, r.updated_at, r.title) for r in rows)
    return ProgressPage(total, items)


def recent_progress(runtime: Runtime, *, limit: int) -> ProgressPage:
    """`progress_page` in a session of its own."""
    return runtime.read(progress_page, limit=limit)


def last_posted(session: Session, anilist_id: int) -> int:
    """`last_abs` of one entry, 0 when nothing was posted (read-only, like `progress_page`)."""
    return get_progress(session, anilist_id)


def progress_of(runtime: Runtime, anilist_id: int) -> int:
    """`last_posted` in a session of its own."""
    return runtime.read(last_posted, anilist_id)


def title_of(runtime: Runtime, anilist_id: int) -> str | None:
    """What AniList calls the entry, when a sync has seen it."""
    with runtime.sessions() as session:
        return get_titles(session, [anilist_id]).get(anilist_id)


def reset_progress(runtime: Runtime, anilist_id: int) -> bool:
    """Forget an entry's progress so the next sync re-sends it; False when it had none."""
    with runtime.sessions.begin() as session:
        existed = delete_progress(session, anilist_id)
        if existed:
            runtime.events.info(
                f"progress of AniList {anilist_id} reset: the next sync re-sends it from "
                "episode 1 (episodes Trakt already has are skipped)",
                session=session,
            )
    return existed
