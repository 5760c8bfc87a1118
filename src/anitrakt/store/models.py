"""The seed's seven tables (`../shared/seed/000_*.txt`), plus the docs/state-model.md extensions.

Names, columns and keys follow the seed exactly. Extension columns are nullable and
documented next to their definition. `episode_map` and `show_map` are legacy: created,
never read or written by the runtime.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from anitrakt.clock import utc_now
from anitrakt.domain.values import LogLevel, MappingType, TraktType
from anitrakt.store.types import TextEnum, UTCDateTime, utcnow

# BIGSERIAL on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

NAMING_CONVENTION = {
    "pk": "%(table_name)s_pkey",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Mapping(Base):
    """AniList id → external ids; `type` is 'manual' or 'auto' and mirrors `is_manual`."""

    __tablename__ = "mappings"

    anilist_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    trakt_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    tmdb_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    imdb_id: Mapped[str | None] = mapped_column(sa.Text)
    tvdb_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    type: Mapped[MappingType] = mapped_column(
        TextEnum(MappingType, MappingType.AUTO), server_default="auto"
    )
    is_manual: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, onupdate=utc_now, server_default=utcnow()
    )
    # Extensions (docs/state-model.md): Trakt object kind (show or movie), the season the AniList
    # entry starts in on Trakt (0 = specials), and episodes to skip inside that season.
    trakt_type: Mapped[TraktType | None] = mapped_column(TextEnum(TraktType))
    trakt_season: Mapped[int | None] = mapped_column(sa.Integer)
    episode_offset: Mapped[int | None] = mapped_column(sa.Integer)


class LogRow(Base):
    """One operational event for the /logs page; level is info, warn or error."""

    __tablename__ = "logs"
    # The level filter reads the newest rows of one level (migration 0008).
    __table_args__ = (sa.Index("ix_logs_level_created_at", "level", "created_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message: Mapped[str] = mapped_column(sa.Text)
    level: Mapped[LogLevel] = mapped_column(
        TextEnum(LogLevel, LogLevel.INFO), server_default="info"
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, server_default=utcnow(), index=True
    )


class SystemConfig(Base):
    """Key/value state: tokens, status timestamps, caches (see the seed's key list)."""

    __tablename__ = "system_config"

    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, onupdate=utc_now, server_default=utcnow()
    )


class SyncProgress(Base):
    """Highest AniList episode number already posted to Trakt, per AniList entry."""

    __tablename__ = "sync_progress"

    anilist_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    last_abs: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    # Indexed: /api/progress and the dashboard list the most recently updated rows.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, onupdate=utc_now, server_default=utcnow(), index=True
    )


class EpisodeOverride(Base):
    """Where a show-absolute episode `abs` of a Trakt show really lands."""

    __tablename__ = "episode_override"

    trakt_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    abs: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    season: Mapped[int] = mapped_column(sa.Integer)
    episode: Mapped[int] = mapped_column(sa.Integer)


class EpisodeMap(Base):
    """Legacy precomputed absolute-episode map; kept in the schema, unused at runtime."""

    __tablename__ = "episode_map"

    trakt_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    abs: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    season: Mapped[int | None] = mapped_column(sa.Integer)
    episode: Mapped[int | None] = mapped_column(sa.Integer)


class ShowMap(Base):
    """Legacy AniList → Trakt map by source; kept in the schema, unused at runtime."""

    __tablename__ = "show_map"

    anilist_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    trakt_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, server_default=utcnow()
    )


class SourceEntryRow(Base):
    """One AniList id as a mapping source (Fribb or Otaku) describes it, normalised.

    Extension table (migration 0002): the cached index behind `cache:fribbs` and
    `cache:otaku`, whose `system_config` values hold the metadata of the download these
    rows came from. A refresh replaces one source's rows in a single transaction.
    """

    __tablename__ = "mapping_source_entries"

    source: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    anilist_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    tvdb_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    tmdb_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    tmdb_kind: Mapped[str | None] = mapped_column(sa.Text)
    imdb_id: Mapped[str | None] = mapped_column(sa.Text)
    mal_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    anidb_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    media_type: Mapped[str | None] = mapped_column(sa.Text)
    season: Mapped[int | None] = mapped_column(sa.Integer)
    episode_offset: Mapped[int | None] = mapped_column(sa.Integer)
    trakt_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    tvdb_part: Mapped[int | None] = mapped_column(sa.Integer)


class AnibridgeRangesRow(Base):
    """One AniList entry's anibridge-mappings placement lines (docs/placement.md).

    Extension table (migration 0006): `ranges` is the normalised JSON of the entry's
    `tmdb_show`/`tvdb_show`/`tmdb_movie` lines (`anitrakt.mappings.anibridge`); the show
    ids are indexed so placement can find every entry that claims episodes of one show
    without loading the whole release.
    """

    __tablename__ = "anibridge_ranges"

    anilist_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    ranges: Mapped[str] = mapped_column(sa.Text)
    tmdb_show_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    tvdb_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)


class AniListTitle(Base):
    """What AniList calls an entry, as last seen by a sync: for people, never for matching.

    Extension table (migration 0004): the seed's `mappings` rows carry ids only, so the
    mapping tables could not be searched by name.
    """

    __tablename__ = "anilist_titles"

    anilist_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, onupdate=utc_now, server_default=utcnow()
    )


class WebSession(Base):
    """One browser login: the cookie carries a random id, this row only its SHA-256.

    Extension table (migration 0005). Logout deletes the row; `token_fingerprint` ties it
    to the API token it was made under, so changing ANITRAKT_API_TOKEN revokes it.
    """

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    token_fingerprint: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, server_default=utcnow()
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class JobRow(Base):
    """One background sync (`usecases.jobs`): what was asked, how far it got, its report.

    Extension table (migration 0007). `runner` names the process that owns the job
    (`store.locks.Holder`), so a restart can tell a job whose process died (marked
    failed) from one another live process is still running. `report` is the finished
    run's JSON body, as `GET /api/jobs/{id}` returns it.
    """

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    mode: Mapped[str] = mapped_column(sa.Text)
    dry_run: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    state: Mapped[str] = mapped_column(sa.Text, index=True)
    runner: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    phase: Mapped[str | None] = mapped_column(sa.Text)
    done: Mapped[int | None] = mapped_column(sa.Integer)
    total: Mapped[int | None] = mapped_column(sa.Integer)
    note: Mapped[str | None] = mapped_column(sa.Text)
    report: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)
