"""The shapes of entries held for review, the one-click fix, and `explain` (docs/placement.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from anitrakt.domain.instants import iso_instant
from anitrakt.domain.review import ReviewEntry
from anitrakt.schemas.common import IdText
from anitrakt.usecases.explain import Explanation
from anitrakt.usecases.review import ReviewFix


class ReviewItem(BaseModel):
    """An entry with episodes held: nothing was posted for them, and why."""

    anilistId: int
    title: str
    traktId: int
    episodes: list[int]
    episodesText: str
    reason: str
    rule: str | None = None
    reasons: list[str]
    lastSeen: str | None = None

    @classmethod
    def of(cls, entry: ReviewEntry) -> ReviewItem:
        return cls(
            anilistId=entry.anilist_id,
            title=entry.title,
            traktId=entry.trakt_id,
            episodes=list(entry.episodes),
            episodesText=entry.episodes_text,
            reason=entry.reason,
            rule=entry.rule,
            reasons=list(entry.reasons or (entry.reason,)),
            lastSeen=iso_instant(entry.last_seen),
        )


class ReviewList(BaseModel):
    count: int
    items: list[ReviewItem]

    @classmethod
    def of(cls, entries: list[ReviewEntry]) -> ReviewList:
        return cls(count=len(entries), items=[ReviewItem.of(e) for e in entries])


class ReviewFixRequest(BaseModel):
    """Which Trakt episode the entry's AniList episode 1 is."""

    model_config = ConfigDict(extra="ignore")
    season: IdText
    episode: IdText


class ReviewFixBody(BaseModel):
    message: str
    anilistId: int
    traktId: int
    season: int
    offset: int

    @classmethod
    def of(cls, fix: ReviewFix) -> ReviewFixBody:
        mapping = fix.entry.mapping
        assert mapping.trakt_id is not None
        return cls(
            message=(
                f"saved: AniList {mapping.anilist_id} now starts at Trakt season "
                f"{fix.hint.season} after {fix.hint.offset} episodes; the next sync posts "
                "what was held"
            ),
            anilistId=mapping.anilist_id,
            traktId=mapping.trakt_id,
            season=fix.hint.season,
            offset=fix.hint.offset,
        )


class ExplainEpisode(BaseModel):
    anilistEpisode: int
    outcome: str
    trakt: str
    rule: str | None = None
    detail: str | None = None


class ExplainSource(BaseModel):
    source: str
    says: str


class ExplainBody(BaseModel):
    """Every AniList episode of one entry → Trakt S/E, the rule, and what each source says."""

    anilistId: int
    title: str
    kind: str
    traktId: int | None = None
    mapping: str
    episodes: list[ExplainEpisode]
    sources: list[ExplainSource]
    disagreement: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, found: Explanation) -> ExplainBody:
        return cls(
            anilistId=found.anilist_id,
            title=found.title,
            kind=found.kind,
            traktId=found.trakt_id,
            mapping=found.mapping,
            episodes=[
                ExplainEpisode(
                    anilistEpisode=line.anilist_episode,
                    outcome=line.outcome,
                    trakt=line.where,
                    rule=line.rule,
                    detail=line.detail,
                )
                for line in found.episodes
            ],
            sources=[ExplainSource(source=v.source, says=v.says) for v in found.sources],
            disagreement=found.disagreement,
            reason=found.reason,
        )
