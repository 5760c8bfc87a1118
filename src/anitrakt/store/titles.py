"""AniList titles as the sync last saw them (`anilist_titles`), read in batches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.clock import utc_now
from anitrakt.store._upsert import insert_for
from anitrakt.store.models import AniListTitle

# Bound parameters per statement stay well under SQLite's limit.
CHUNK = 500


def save_titles(session: Session, titles: Mapping[int, str]) -> None:
    """Insert or update titles; a row whose title did not change is left alone."""
    items = sorted(titles.items())
    now = utc_now()
    for start in range(0, len(items), CHUNK):
        rows = [
            {"anilist_id": anilist_id, "title": title, "updated_at": now}
            for anilist_id, title in items[start : start + CHUNK]
        ]
        statement = insert_for(session, AniListTitle).values(rows)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["anilist_id"],
                set_={"title": statement.excluded.title, "updated_at": now},
                where=AniListTitle.title != statement.excluded.title,
            )
        )


def get_titles(session: Session, anilist_ids: Iterable[int]) -> dict[int, str]:
    """Titles of the ids that have one, in one query per chunk."""
    wanted = sorted(set(anilist_ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = sa.select(AniListTitle.anilist_id, AniListTitle.title).where(
            AniListTitle.anilist_id.in_(chunk)
        )
        found.update((anilist_id, title) for anilist_id, title in session.execute(query))
    return found
