"""Wire shapes of the JSON API (SPEC §7); camelCase as the SPEC spells them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from sqlalchemy.orm import Session

from anitrakt.domain.instants import iso_instant
from anitrakt.domain.values import MappingType
from anitrakt.store.mappings import list_mappings
from anitrakt.store.models import LogRow, Mapping, SyncProgress
from anitrakt.store.titles import get_titles
from anitrakt.usecases.sync.status import SyncStatus

# Strict, so JSON `true` is not quietly read as id 1; numeric text and URLs are parsed
# (and rejected with the field's name) by the core.
IdText = StrictInt | StrictStr


class ErrorBody(BaseModel):
    error: str
    details: Any = None


class FailureBody(BaseModel):
    at: str
    mode: str
    error: str
    # A refusal the person must act on (e.g. "trakt_app_rejected"), else null.
    code: str | None = None


class StatusBody(BaseModel):
    lastManualSync: str | None
    lastAutomatedSync: str | None
    lastCompletedSync: str | None
    lastWatchingSync: str | None
    # The last sync that stopped on an error, until a later one succeeds (null: none).
    lastFailure: FailureBody | None = None

    @classmethod
    def of(cls, status: SyncStatus) -> StatusBody:
        failure = status.last_failure
        return cls(
            lastManualSync=iso_instant(status.last_manual),
            lastAutomatedSync=iso_instant(status.last_automated),
            lastCompletedSync=iso_instant(status.last_completed),
            lastWatchingSync=iso_instant(status.last_watching),
            lastFailure=None
            if failure is None
            else FailureBody(
                at=failure.at.isoformat(),
                mode=failure.mode,
                error=failure.error,
                code=failure.code,
            ),
        )


class LogBody(BaseModel):
    id: int
    message: str
    level: str
    created_at: str

    @classmethod
    def of(cls, row: LogRow) -> LogBody:
        return cls(
            id=row.id,
            message=row.message,
            level=row.level,
            created_at=iso_instant(row.created_at) or "",
        )


class ProgressItem(BaseModel):
    anilistId: int
    lastAbs: int
    updatedAt: str | None

    @classmethod
    def of(cls, row: SyncProgress) -> ProgressItem:
        return cls(
            anilistId=row.anilist_id, lastAbs=row.last_abs, updatedAt=iso_instant(row.updated_at)
        )


class ProgressPage(BaseModel):
    count: int
    items: list[ProgressItem]


class ProgressOne(BaseModel):
    anilistId: int
    lastAbs: int


class MappingBody(BaseModel):
    anilistId: int
    # What AniList calls the entry, when a sync has seen it (null otherwise).
    title: str | None = None
    traktId: int | None
    tmdbId: int | None
    imdbId: str | None
    tvdbId: int | None
    type: str
    traktType: str | None
    season: int | None
    offset: int | None
    updatedAt: str | None

    @classmethod
    def of(cls, row: Mapping, title: str | None = None) -> MappingBody:
        return cls(
            anilistId=row.anilist_id,
            title=title,
            traktId=row.trakt_id,
            tmdbId=row.tmdb_id,
            imdbId=row.imdb_id,
            tvdbId=row.tvdb_id,
            type=row.type,
            traktType=row.trakt_type,
            season=row.trakt_season,
            offset=row.episode_offset,
            updatedAt=iso_instant(row.updated_at),
        )


class MappingLists(BaseModel):
    manual: list[MappingBody]
    auto: list[MappingBody]

    @classmethod
    def load(cls, session: Session, search: str | None = None) -> MappingLists:
        """Both kinds, newest first, with titles; `search` is an id or part of a title."""
        manual = list_mappings(session, kind=MappingType.MANUAL, search=search)
        auto = list_mappings(session, kind=MappingType.AUTO, search=search)
        titles = get_titles(session, [row.anilist_id for row in manual + auto])
        return cls(
            manual=[MappingBody.of(r, titles.get(r.anilist_id)) for r in manual],
            auto=[MappingBody.of(r, titles.get(r.anilist_id)) for r in auto],
        )


class ManualMapRequest(BaseModel):
    """A manual mapping. `anilistId` may be an AniList URL; ids may be numbers or digits."""

    model_config = ConfigDict(extra="ignore")

    anilistId: IdText = Field(examples=[21, "https://anilist.co/anime/21/one-piece/"])
    traktId: IdText = Field(examples=[37696])
    tmdbId: IdText | None = None
    imdbId: str | None = Field(default=None, examples=["tt0388629"])
    tvdbId: IdText | None = None
    season: IdText | None = Field(default=None, description="Trakt season the entry starts in")
    offset: IdText | None = Field(default=None, description="episodes to skip in that season")
    movie: bool = False


class ManualMapResult(BaseModel):
    success: bool
    added: MappingBody


class Health(BaseModel):
    status: str
    version: str
