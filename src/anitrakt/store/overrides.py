"""`episode_override`: where a show-absolute episode of a Trakt show really lands."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.store._upsert import insert_for
from anitrakt.store.models import EpisodeOverride

# trakt_id → abs → (season, episode)
OverrideIndex = dict[int, dict[int, tuple[int, int]]]


def get_overrides_for_shows(session: Session, trakt_ids: Iterable[int]) -> OverrideIndex:
    """Every override of the given shows, in one query; shows without any are absent."""
    wanted = list(dict.fromkeys(trakt_ids))
    if not wanted:
        return {}
    rows = session.scalars(sa.select(EpisodeOverride).where(EpisodeOverride.trakt_id.in_(wanted)))
    index: OverrideIndex = {}
    for row in rows:
        index.setdefault(row.trakt_id, {})[row.abs] = (row.season, row.episode)
    return index


def upsert_override(session: Session, trakt_id: int, abs: int, season: int, episode: int) -> None:
    """Create or replace the override for `(trakt_id, abs)`."""
    statement = insert_for(session, EpisodeOverride).values(
        trakt_id=trakt_id, abs=abs, season=season, episode=episode
    )
    statement = statement.on_conflict_do_update(
        index_elements=["trakt_id", "abs"], set_={"season": season, "episode": episode}
    )
    session.execute(statement)


def delete_override(session: Session, trakt_id: int, abs: int) -> bool:
    """Remove one override; True when it existed."""
    result = session.execute(
        sa.delete(EpisodeOverride).where(
            EpisodeOverride.trakt_id == trakt_id, EpisodeOverride.abs == abs
        )
    )
    return bool(getattr(result, "rowcount", 0))


def list_overrides(session: Session, trakt_id: int | None = None) -> list[EpisodeOverride]:
    """Overrides ordered by show and episode, optionally of one show."""
    query = sa.select(EpisodeOverride).order_by(EpisodeOverride.trakt_id, EpisodeOverride.abs)
    if trakt_id is not None:
        query = query.where(EpisodeOverride.trakt_id == trakt_id)
    return list(session.scalars(query))
