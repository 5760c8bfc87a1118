"""The shapes most routes and commands share: errors, status, logs, progress, mappings."""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from anitrakt.domain.instants import iso_instant
from anitrakt.usecases.logs import LogEntry
from anitrakt.usecases.mappings import MappingEntry
from anitrakt.usecases.mappings import MappingLists as MappingListsValue
from anitrakt.usecases.progress import ProgressEntry
from anitrakt.usecases.progress import ProgressPage as ProgressPageValue
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
                at=failure.at.isoformat(), mode=failure.mode, error=failure.error, code=failure.code
            ),
        )


class LogBody(BaseModel):
    id: int
    message: str
    level: str
    created_at: str

    @classmethod
    def of(cls, entry: LogEntry) -> LogBody:
        return cls(
            id=entry.id,
            message=entry.message,
            level=entry.level.value,
            created_at=iso_instant(entry.created_at) or "",
        )


class ProgressItem(BaseModel):
    anilistId: int
    lastAbs: int
    updatedAt: str | None
    # What AniList calls the entry, when a sync has seen it (null otherwise).
    title: str | None = None

    @classmethod
    def of(cls, entry: ProgressEntry) -> ProgressItem:
        return cls(
            anilistId=entry.anilist_id,
            lastAbs=entry.last_abs,
            updatedAt=iso_instant(entry.updated_at),
            title=entry.title,
        )


class ProgressPage(BaseModel):
    count: int
    items: list[ProgressItem]

    @classmethod
    def of(cls, page: ProgressPageValue) -> ProgressPage:
        return cls(count=page.count, items=[ProgressItem.of(e) for e in page.items])


# The read routes that answer a list render it straight to JSON, without a model per
# row: building and re-validating 200 models cost more than the query, and orjson writes
# a page about 7x faster than the json module (issue 18). The shapes are LogBody's and
# ProgressPage's (tests/web/test_api_rendering.py holds them equal).


def _instant(moment: datetime | None) -> datetime | str | None:
    # orjson writes a UTC datetime exactly as isoformat() does, in C; the store hands back
    # aware UTC instants, and anything else takes the general path (to UTC).
    if moment is None or moment.tzinfo is UTC:
        return moment
    return iso_instant(moment)


def logs_json(entries: Iterable[LogEntry]) -> bytes:
    """`list[LogBody]` of `entries` as JSON."""
    return orjson.dumps(
        [
            {
                "id": e.id,
                "message": e.message,
                "level": e.level,
                "created_at": _instant(e.created_at) or "",
            }
            for e in entries
        ]
    )


def progress_page_json(page: ProgressPageValue) -> bytes:
    """`ProgressPage` of `page` as JSON."""
    items = [
        {
            "anilistId": e.anilist_id,
            "lastAbs": e.last_abs,
            "updatedAt": _instant(e.updated_at),
            "title": e.title,
        }
        for e in page.items
    ]
    return orjson.dumps({"count": page.count, "items": items})


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
    def of(cls, entry: MappingEntry) -> MappingBody:
        mapping = entry.mapping
        return cls(
            anilistId=mapping.anilist_id,
            title=entry.title,
            traktId=mapping.trakt_id,
            tmdbId=mapping.tmdb_id,
            imdbId=mapping.imdb_id,
            tvdbId=mapping.tvdb_id,
            type=mapping.type.value,
            traktType=mapping.trakt_type.value if mapping.trakt_type else None,
            season=mapping.trakt_season,
            offset=mapping.episode_offset,
            updatedAt=iso_instant(entry.updated_at),
        )


class MappingLists(BaseModel):
    manual: list[MappingBody]
    auto: list[MappingBody]

    @classmethod
    def of(cls, lists: MappingListsValue) -> MappingLists:
        return cls(
            manual=[MappingBody.of(e) for e in lists.manual],
            auto=[MappingBody.of(e) for e in lists.auto],
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


class UnmapResult(BaseModel):
    success: bool
    anilistId: int


class Health(BaseModel):
    status: str
    version: str


def cover_path(anilist_id: int, covers: Container[int]) -> str | None:
    """Where the page finds the entry's cover (`GET /covers/{id}`), when one is cached."""
    return f"/covers/{anilist_id}" if anilist_id in covers else None
