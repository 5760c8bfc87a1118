"""The shapes of the features beyond history (docs/beyond-history.md): a run's part, a
preview, and each feature's state for the dashboard and `GET /api/extras`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from anitrakt.domain.extras import ExtraItem
from anitrakt.usecases.extras import FeatureState
from anitrakt.usecases.sync.report import FeatureReport, SyncReport


class ExtraItemBody(BaseModel):
    """One write (done, or planned by a dry run) or one thing left alone, and why."""

    anilistId: int | None
    title: str
    action: str
    target: str
    note: str

    @classmethod
    def of(cls, item: ExtraItem) -> ExtraItemBody:
        return cls(
            anilistId=item.anilist_id,
            title=item.title,
            action=item.action,
            target=item.target,
            note=item.note,
        )


class FeatureBody(BaseModel):
    """What one feature did in a run (or, dry, would do)."""

    feature: str
    setting: str
    enabled: bool
    dryRun: bool
    message: str
    written: int
    unchanged: int
    ignored: int
    writes: list[ExtraItemBody]
    left: list[ExtraItemBody]
    error: str | None = None

    @classmethod
    def of(cls, part: FeatureReport) -> FeatureBody:
        return cls(
            feature=part.feature.value,
            setting=part.feature.setting,
            enabled=part.enabled,
            dryRun=part.dry_run,
            message=part.summary,
            written=part.written,
            unchanged=part.unchanged,
            ignored=part.ignored,
            writes=[ExtraItemBody.of(i) for i in part.writes],
            left=[ExtraItemBody.of(i) for i in part.left],
            error=part.error,
        )


class ExtrasPreview(BaseModel):
    """`GET /api/extras/preview`: what every feature would write now, on or not."""

    message: str
    features: list[FeatureBody]
    error: str | None = None

    @classmethod
    def of(cls, report: SyncReport) -> ExtrasPreview:
        return cls(
            message=report.message,
            features=[FeatureBody.of(part) for part in report.extras],
            error=report.error,
        )


class FeatureStateBody(BaseModel):
    """A feature's setting and what its last run did (`last`: null before any)."""

    feature: str
    label: str
    setting: str
    enabled: bool
    last: dict[str, Any] | None

    @classmethod
    def of(cls, state: FeatureState) -> FeatureStateBody:
        return cls(
            feature=state.feature.value,
            label=state.feature.label,
            setting=state.feature.setting,
            enabled=state.enabled,
            last=state.last,
        )
