"""`sync_progress`: the highest AniList episode already posted, per entry (dedupe)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.clock import utc_now
from anitrakt.store._upsert import insert_for
from anitrakt.store.models import AniListTitle, SyncProgress


def get_progress(session: Session, anilist_id: int) -> int:
    """`last_abs` for one entry; 0 when nothing was posted (or the row was deleted)."""
    value = session.connection().execute(_last_abs_of(), {"anilist_id": anilist_id}).scalar()
    return int(value or 0)


# The read API's queries are built once, on first use: building a statement and its
# cache key on every call cost as much as running it (issue 18).


@cache
def _last_abs_of() -> sa.Select[int]:
    progress = SyncProgress.__table__.c
    return sa.select(progress.last_abs).where(progress.anilist_id == sa.bindparam("anilist_id"))


def get_progress_many(session: Session, anilist_ids: Iterable[int]) -> dict[int, int]:
    """`last_abs` for the entries that have a row, in one query."""
    wanted = list(dict.fromkeys(anilist_ids))
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(SyncProgress.anilist_id, SyncProgress.last_abs).where(
            SyncProgress.anilist_id.in_(wanted)
        )
    )
    return {anilist_id: int(last_abs) for anilist_id, last_abs in rows}


def set_progress(session: Session, anilist_id: int, last_abs: int) -> None:
    """Record that episodes 1…`last_abs` of the entry are on Trakt."""
    now = utc_now()
    statement = insert_for(session, SyncProgress).values(
        anilist_id=anilist_id, last_abs=last_abs, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["anilist_id"], set_={"last_abs": last_abs, "updated_at": now}
    )
    session.execute(statement)


def list_progress(
    session: Session, *, limit: int = 50, offset: int = 0
) -> list[sa.Row[int, int, datetime | None, str | None]]:
    """Progress rows (`anilist_id, last_abs, updated_at, title`), most recently updated
    first, each with the title a sync saw (or None). One Core query: read-only, and the
    ORM's loading step and a second query for the titles cost more than the rows."""
    page = {"limit": limit, "offset": offset}
    return list(session.connection().execute(_recent_progress(), page).all())


@cache
def _recent_progress() -> sa.Select[int, int, datetime | None, str | None]:
    progress, titles = SyncProgress.__table__.c, AniListTitle.__table__.c
    return (
        sa.select(progress.anilist_id, progress.last_abs, progress.updated_at, titles.title)
        .select_from(
            SyncProgress.__table__.outerjoin(
                AniListTitle.__table__, titles.anilist_id == progress.anilist_id
            )
        )
        .order_by(progress.updated_at.desc(), progress.anilist_id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
    )


def count_progress(session: Session) -> int:
    """How many entries have progress recorded."""
    return int(session.connection().execute(_progress_count()).scalar() or 0)


@cache
def _progress_count() -> sa.Select[int]:
    return sa.select(sa.func.count()).select_from(SyncProgress.__table__)


def delete_progress(session: Session, anilist_id: int) -> bool:
    """Forget an entry's progress so the next sync re-sends it from episode 1."""
    result = session.execute(sa.delete(SyncProgress).where(SyncProgress.anilist_id == anilist_id))
    return bool(getattr(result, "rowcount", 0))
