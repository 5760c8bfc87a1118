"""The shapes of a mapping-source refresh and of its `?check=1` report."""

from __future__ import annotations

from pydantic import BaseModel

from anitrakt.domain.instants import iso_instant
from anitrakt.domain.values import SourceName
from anitrakt.usecases.sources.refresh import RefreshOutcome, SourceStatus


class FribbCheckBody(BaseModel):
    """`?check=1` for Fribb: cached entries, last refresh, last rebuild of the index."""

    count: int
    lastSync: str | None
    lastFullSync: str | None


class OtakuCheckBody(BaseModel):
    """`?check=1` for Otaku: cached entries, last refresh, newest activity in the file."""

    count: int
    lastSync: str | None
    lastActivity: str | None


class AnibridgeCheckBody(BaseModel):
    """`?check=1` for anibridge-mappings: cached entries, last refresh, last rebuild of the
    cache, and when upstream built the cached release."""

    count: int
    lastSync: str | None
    lastFullSync: str | None
    generatedOn: str | None


CheckBody = FribbCheckBody | OtakuCheckBody | AnibridgeCheckBody


def check_body(status: SourceStatus) -> CheckBody:
    """The check answer for whichever source `status` describes."""
    if status.source is SourceName.ANIBRIDGE:
        return AnibridgeCheckBody(
            count=status.count,
            lastSync=iso_instant(status.last_sync),
            lastFullSync=iso_instant(status.last_full_sync),
            generatedOn=iso_instant(status.generated_on),
        )
    if status.source is SourceName.FRIBB:
        return FribbCheckBody(
            count=status.count,
            lastSync=iso_instant(status.last_sync),
            lastFullSync=iso_instant(status.last_full_sync),
        )
    return OtakuCheckBody(
        count=status.count,
        lastSync=iso_instant(status.last_sync),
        lastActivity=iso_instant(status.last_activity),
    )


class RefreshBody(BaseModel):
    """A finished refresh; `changed` is false when the download matched the cache."""

    success: bool
    message: str
    source: str
    changed: bool
    count: int
    shape: str
    skipped: int
    bytes: int
    sha256: str
    missingColumns: list[str]
    status: CheckBody

    @classmethod
    def of(cls, outcome: RefreshOutcome) -> RefreshBody:
        meta = outcome.meta
        return cls(
            success=True,
            message=outcome.message,
            source=outcome.source.value,
            changed=outcome.changed,
            count=meta.count,
            shape=meta.shape,
            skipped=meta.skipped,
            bytes=meta.bytes,
            sha256=meta.sha256,
            missingColumns=list(meta.missing_columns),
            status=check_body(outcome.status),
        )
