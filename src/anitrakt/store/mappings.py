"""`mappings` access. A manual row is never replaced by an automatic one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.clock import utc_now
from anitrakt.domain.ids import search_number
from anitrakt.domain.values import IdMapping, MappingType
from anitrakt.store._upsert import insert_for
from anitrakt.store.models import AniListTitle, Mapping


def get_mapping(session: Session, anilist_id: int) -> Mapping | None:
    """The stored mapping for one AniList id."""
    return session.get(Mapping, anilist_id)


_VALUE_COLUMNS = (
    Mapping.anilist_id,
    Mapping.trakt_id,
    Mapping.tmdb_id,
    Mapping.imdb_id,
    Mapping.tvdb_id,
    Mapping.is_manual,
    Mapping.trakt_type,
    Mapping.trakt_season,
    Mapping.episode_offset,
)


def mapping_value(row: Any) -> IdMapping:
    """The value a stored row stands for (an ORM `Mapping` or a row of its columns)."""
    return IdMapping(
        anilist_id=row.anilist_id,
        trakt_id=row.trakt_id,
        tmdb_id=row.tmdb_id,
        imdb_id=row.imdb_id,
        tvdb_id=row.tvdb_id,
        manual=bool(row.is_manual),
        trakt_type=row.trakt_type,
        trakt_season=row.trakt_season,
        episode_offset=row.episode_offset,
    )


def _anilist_id_in(session: Session, wanted: list[int]) -> sa.ColumnElement[bool]:
    """`anilist_id IN (…)`; on PostgreSQL as `= ANY(array)`, one parameter instead of N.

    With a thousand ids psycopg binds and PostgreSQL plans the single array about three
    times faster than a thousand separate parameters (scripts/bench_mappings.py).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # as in store/_upsert.py

        ids = sa.literal(wanted, postgresql.ARRAY(sa.BigInteger))
        return Mapping.anilist_id == sa.any_(ids)
    return Mapping.anilist_id.in_(wanted)


def get_mapping_values(session: Session, anilist_ids: Iterable[int]) -> dict[int, IdMapping]:
    """Stored mappings for many AniList ids as values, in one query.

    Reads plain columns rather than ORM objects: the sync resolves its whole batch this
    way every run, and loading entities costs several times more than the query.
    """
    wanted = list(dict.fromkeys(anilist_ids))
    if not wanted:
        return {}
    rows = session.execute(sa.select(*_VALUE_COLUMNS).where(_anilist_id_in(session, wanted)))
    # Positional, in _VALUE_COLUMNS order: named access on a thousand rows costs more
    # than the query itself.
    return {
        anilist: IdMapping(anilist, trakt, tmdb, imdb, tvdb, bool(manual), kind, season, offset)
        for anilist, trakt, tmdb, imdb, tvdb, manual, kind, season, offset in rows
    }


def _values(mapping: IdMapping) -> dict[str, Any]:
    return {
        "trakt_id": mapping.trakt_id,
        "tmdb_id": mapping.tmdb_id,
        "imdb_id": mapping.imdb_id,
        "tvdb_id": mapping.tvdb_id,
        "type": mapping.type,
        "is_manual": mapping.manual,
        "updated_at": utc_now(),
        "trakt_type": mapping.trakt_type,
        "trakt_season": mapping.trakt_season,
        "episode_offset": mapping.episode_offset,
    }


def save_mappings(session: Session, mappings: Sequence[IdMapping]) -> set[int]:
    """Create or update many mappings in a few statements; returns the AniList ids written.

    The same rule as `save_mapping`, in the statement: an automatic mapping never
    replaces a manual row, and the ids that lost are missing from the result. When an
    id repeats, its last mapping is the one saved.
    """
    unique = list({mapping.anilist_id: mapping for mapping in mappings}.values())
    if not unique:
        return set()
    rows = [{"anilist_id": m.anilist_id, **_values(m)} for m in unique]
    statement = insert_for(session, Mapping)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["anilist_id"],
        set_={name: excluded[name] for name in rows[0] if name != "anilist_id"},
        where=sa.or_(Mapping.is_manual.is_(sa.false()), excluded.is_manual.is_(sa.true())),
    )
    # Core executemany on the session's connection (inside the caller's transaction):
    # compiled once, sent by SQLAlchemy's "insertmanyvalues" as multi-row batches with
    # RETURNING. (The ORM's bulk path would split rows by which values are NULL.)
    result = session.connection().execute(statement.returning(Mapping.anilist_id), rows)
    return set(result.scalars())


def save_mapping(session: Session, mapping: IdMapping) -> bool:
    """Create or update a mapping; False when an auto mapping met a manual row and lost.

    The rule lives in the statement itself (ON CONFLICT … WHERE), so two writers racing
    cannot let an automatic result overwrite a person's correction.
    """
    values = _values(mapping)
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
    """Mappings newest first, optionally only one kind, or matching an id or a title part."""
    query = sa.select(Mapping).order_by(Mapping.updated_at.desc(), Mapping.anilist_id.desc())
    if kind is not None:
        manual = kind is MappingType.MANUAL
        query = query.where(Mapping.is_manual.is_(sa.true() if manual else sa.false()))
    if search:
        term = search.strip()
        number = search_number(term)
        if number is not None:
            query = query.where(
                sa.or_(
                    Mapping.anilist_id == number,
                    Mapping.trakt_id == number,
                    Mapping.tmdb_id == number,
                    Mapping.tvdb_id == number,
                )
            )
        else:
            titled = sa.select(AniListTitle.anilist_id).where(
                sa.func.lower(AniListTitle.title).contains(term.lower(), autoescape=True)
            )
            query = query.where(sa.or_(Mapping.imdb_id == term, Mapping.anilist_id.in_(titled)))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(session.scalars(query))


def delete_mapping(session: Session, anilist_id: int) -> bool:
    """Remove one mapping; True when it existed."""
    result = session.execute(sa.delete(Mapping).where(Mapping.anilist_id == anilist_id))
    return bool(getattr(result, "rowcount", 0))


def mappings_on_shows(session: Session, trakt_ids: Iterable[int]) -> dict[int, IdMapping]:
    """Every stored mapping to one of these Trakt ids, by AniList id (for placement's claims)."""
    wanted = sorted(set(trakt_ids))
    if not wanted:
        return {}
    rows = session.execute(sa.select(*_VALUE_COLUMNS).where(Mapping.trakt_id.in_(wanted)))
    return {row.anilist_id: mapping_value(row) for row in rows}
