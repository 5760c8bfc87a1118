"""`mappings` access. A manual row is never replaced by an automatic one."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.domain.values import IdMapping, MappingType
from anitrakt.store._upsert import insert_for
from anitrakt.store.models import Mapping
from anitrakt.store.types import utc_now


def get_mapping(session: Session, anilist_id: int) -> Mapping | None:
    """The stored mapping for one AniList id."""
    return session.get(Mapping, anilist_id)


def get_mappings(session: Session, anilist_ids: Iterable[int]) -> dict[int, Mapping]:
    """Stored mappings for many AniList ids, in one query."""
    wanted = list(dict.fromkeys(anilist_ids))
    if not wanted:
        return {}
    rows = session.scalars(sa.select(Mapping).where(Mapping.anilist_id.in_(wanted)))
    return {row.anilist_id: row for row in rows}


def save_mapping(session: Session, mapping: IdMapping) -> bool:
    """Create or update a mapping; False when an auto mapping met a manual row and lost.

    The rule lives in the statement itself (ON CONFLICT … WHERE), so two writers racing
    cannot let an automatic result overwrite a person's correction.
    """
    values = {
        "trakt_id": mapping.trakt_id,
        "tmdb_id": mapping.tmdb_id,
        "imdb_id": mapping.imdb_id,
        "tvdb_id": mapping.tvdb_id,
        "type": mapping.type.value,
        "is_manual": mapping.manual,
        "updated_at": utc_now(),
        "trakt_type": mapping.trakt_type.value if mapping.trakt_type else None,
        "trakt_season": mapping.trakt_season,
        "episode_offset": mapping.episode_offset,
    }
    statement = insert_for(session, Mapping).values(anilist_id=mapping.anilist_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=["anilist_id"],
        set_=values,
        where=sa.or_(Mapping.is_manual.is_(sa.false()), sa.literal(mapping.manual)),
    )
    # RETURNING says whether the row was written; rowcount of an upsert is not reliable
    # across drivers (psycopg reports -1).
    written = session.execute(statement.returning(Mapping.anilist_id)).first()
    return written is not None


def list_mappings(
    session: Session,
    *,
    kind: MappingType | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Mapping]:
    """Mappings newest first, optionally only one kind or matching an id."""
    query = sa.select(Mapping).order_by(Mapping.updated_at.desc(), Mapping.anilist_id.desc())
    if kind is not None:
        manual = kind is MappingType.MANUAL
        query = query.where(Mapping.is_manual.is_(sa.true() if manual else sa.false()))
    if search:
        term = search.strip()
        if term.isdigit():
            number = int(term)
            query = query.where(
                sa.or_(
                    Mapping.anilist_id == number,
                    Mapping.trakt_id == number,
                    Mapping.tmdb_id == number,
                    Mapping.tvdb_id == number,
                )
            )
        else:
            query = query.where(Mapping.imdb_id == term)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(session.scalars(query))


def delete_mapping(session: Session, anilist_id: int) -> bool:
    """Remove one mapping; True when it existed."""
    result = session.execute(sa.delete(Mapping).where(Mapping.anilist_id == anilist_id))
    return bool(getattr(result, "rowcount", 0))
