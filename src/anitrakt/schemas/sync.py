"""The shapes of sync runs, previews, Trakt authorization, overrides and unmapped entries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from anitrakt.domain.instants import iso_instant
from anitrakt.domain.planning import PlannedPlay
from anitrakt.domain.review import episodes_text
from anitrakt.domain.values import UnmappedEntry
from anitrakt.errors import UpstreamRefused
from anitrakt.schemas.common import IdText, cover_path
from anitrakt.schemas.extras import FeatureBody
from anitrakt.schemas.review import ReviewItem
from anitrakt.usecases.sync.overrides import Override
from anitrakt.usecases.sync.report import SyncReport


class UnmappedItem(BaseModel):
    anilistId: int
    title: str | None = None
    reason: str | None = None
    lastSeen: str | None = None
    # The cover thumbnail (`GET /covers/{id}`) when one is cached, else null.
    cover: str | None = None

    @classmethod
    def of(cls, entry: UnmappedEntry, covers: Container[int] = frozenset()) -> UnmappedItem:
        return cls(
            anilistId=entry.anilist_id,
            title=entry.title,
            reason=entry.reason,
            lastSeen=iso_instant(entry.last_seen),
            cover=cover_path(entry.anilist_id, covers),
        )


class PlayBody(BaseModel):
    """One play a run posted (or, dry, would post)."""

    anilistId: int
    anilistEpisode: int
    title: str
    traktId: int
    type: str
    season: int | None
    episode: int | None
    watchedAt: str | None
    source: str
    # Which placement rule put it there (docs/placement.md), and what it overcame.
    rule: str
    note: str | None = None
    # Where `watchedAt` comes from: activity, completedAt, updatedAt, now or released.
    watchedAtFrom: str | None = None

    @classmethod
    def of(cls, play: PlannedPlay) -> PlayBody:
        return cls(
            anilistId=play.anilist_id,
            anilistEpisode=play.anilist_episode,
            title=play.title,
            traktId=play.trakt_id,
            type="movie" if play.is_movie else "episode",
            season=play.season,
            episode=play.number,
            watchedAt=iso_instant(play.watched_at),
            source=play.origin,
            rule=play.rule,
            note=play.note,
            watchedAtFrom=play.dated_by or None,
        )


class SyncRunBody(BaseModel):
    """README "HTTP API"'s full-sync and list-sync answers in one shape (extra fields are fine)."""

    message: str
    mode: str
    dryRun: bool
    found: int
    synced: int
    alreadySynced: int
    alreadySyncedShows: int
    skippedUnmapped: int
    added: int
    addedEpisodes: int
    batches: int
    pending: int
    notFound: list[str]
    unmapped: list[UnmappedItem]
    # Episodes held because the sources disagree: not posted (GET /api/review).
    held: int = 0
    review: list[ReviewItem] = Field(default_factory=list)
    plays: list[PlayBody] = Field(default_factory=list)
    # The features beyond history the run ran (docs/beyond-history.md).
    extras: list[FeatureBody] = Field(default_factory=list)
    error: str | None = None
    # A stable name for a refusal the person must act on (e.g. "trakt_app_rejected").
    errorCode: str | None = None

    @classmethod
    def of(cls, report: SyncReport) -> SyncRunBody:
        return cls(
            message=report.message,
            mode=report.mode.value,
            dryRun=report.dry_run,
            found=report.found,
            synced=report.synced,
            alreadySynced=report.already_synced,
            alreadySyncedShows=report.already_synced_shows,
            skippedUnmapped=report.skipped_unmapped,
            added=report.added,
            addedEpisodes=report.added,
            batches=report.batches,
            pending=report.pending,
            notFound=report.not_found,
            unmapped=[UnmappedItem.of(entry) for entry in report.unmapped],
            held=report.held,
            review=[ReviewItem.of(entry) for entry in report.review],
            plays=[PlayBody.of(p) for p in report.plays] if report.dry_run else [],
            extras=[FeatureBody.of(part) for part in report.extras],
            error=report.error,
            errorCode=report.failure.code if isinstance(report.failure, UpstreamRefused) else None,
        )


def describe_plays(plays: list[PlannedPlay]) -> str:
    """`S3E13–S3E22`, `S1E1–S1E12, S2E1–S2E12` or `movie`: runs of consecutive episodes."""
    if any(p.is_movie for p in plays):
        return "movie"
    ordered = sorted((p.season or 0, p.number or 0) for p in plays)
    runs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for season, number in ordered:
        if runs and runs[-1][1] == (season, number - 1):
            runs[-1] = (runs[-1][0], (season, number))
        else:
            runs.append(((season, number), (season, number)))
    parts = []
    for (s1, e1), (s2, e2) in runs:
        parts.append(f"S{s1}E{e1}" if (s1, e1) == (s2, e2) else f"S{s1}E{e1}–S{s2}E{e2}")
    return ", ".join(parts)


class PreviewItem(BaseModel):
    anilistShowId: int
    titleEnglish: str | None
    titleRomaji: str | None
    progress: int
    watchedAt: str | None
    willPost: str
    count: int
    # The placement rules behind `willPost`, e.g. ["anibridge"] or ["fribb", "airdate"].
    rules: list[str] = Field(default_factory=list)
    # Where the plays' watched dates come from (COMPLETED_WATCHED_AT): completedAt,
    # updatedAt, now or released (each play then gets its episode's air date).
    watchedAtFrom: list[str] = Field(default_factory=list)
    cover: str | None = None


class PreviewSkip(BaseModel):
    """An entry the run would not post (all or some of), and why."""

    anilistShowId: int
    title: str
    # "unmapped" (no Trakt show), "pending" (episodes not on Trakt yet) or "review"
    # (held: the sources disagree, GET /api/review).
    state: str
    episodes: str | None = None
    reason: str
    cover: str | None = None


class PreviewBody(BaseModel):
    items: list[PreviewItem]
    count: int
    # What would not be posted, with the reason; `count` counts `items` only.
    skipped: list[PreviewSkip] = Field(default_factory=list)

    @classmethod
    def of(cls, report: SyncReport, covers: Container[int] = frozenset()) -> PreviewBody:
        by_entry: dict[int, list[PlannedPlay]] = defaultdict(list)
        for play in report.plays:
            by_entry[play.anilist_id].append(play)
        items = []
        for anilist_id, plays in by_entry.items():
            media = report.media.get(anilist_id)
            items.append(
                PreviewItem(
                    anilistShowId=anilist_id,
                    titleEnglish=media.title_english if media else None,
                    titleRomaji=media.title_romaji if media else plays[0].title,
                    progress=max(p.anilist_episode for p in plays),
                    watchedAt=iso_instant(plays[0].watched_at),
                    willPost=describe_plays(plays),
                    count=len(plays),
                    rules=list(dict.fromkeys(p.rule for p in plays)),
                    watchedAtFrom=list(dict.fromkeys(p.dated_by for p in plays if p.dated_by)),
                    cover=cover_path(anilist_id, covers),
                )
            )
        skipped = [
            skip.model_copy(update={"cover": cover_path(skip.anilistShowId, covers)})
            for skip in _skipped(report)
        ]
        return cls(items=items, count=len(items), skipped=skipped)


def _skipped(report: SyncReport) -> list[PreviewSkip]:
    def title(anilist_id: int) -> str:
        media = report.media.get(anilist_id)
        return media.title if media else f"AniList #{anilist_id}"

    skipped = [
        PreviewSkip(anilistShowId=u.anilist_id, title=u.title, state="unmapped", reason=u.reason)
        for u in report.unmapped
    ]
    skipped += [
        PreviewSkip(
            anilistShowId=anilist_id,
            title=title(anilist_id),
            state="pending",
            episodes=episodes_text(episodes),
            reason=reason,
        )
        for anilist_id, (episodes, reason) in report.pending_entries.items()
    ]
    skipped += [
        PreviewSkip(
            anilistShowId=r.anilist_id,
            title=r.title,
            state="review",
            episodes=r.episodes_text,
            reason=r.reason,
        )
        for r in report.review
    ]
    return skipped


class ShowSyncBody(BaseModel):
    success: bool
    count: int
    anilistId: int
    traktId: int


class CronBody(BaseModel):
    message: str
    ran: bool
    lastRun: str | None
    nextRun: str | None
    result: SyncRunBody | None = None


class TraktAuthStatus(BaseModel):
    url: str | None
    connected: bool
    username: str | None = None
    # Where the tokens in use come from: "stored" (an authorization) or "environment".
    source: str | None = None
    expiresAt: str | None = None


class CodeBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: StrictStr = Field(min_length=1, max_length=200)


class DeviceStart(BaseModel):
    userCode: str
    verificationUrl: str
    expiresIn: int
    interval: int


class DevicePoll(BaseModel):
    status: str
    username: str | None = None


class OverrideBody(BaseModel):
    traktId: int
    abs: int
    season: int
    episode: int

    @classmethod
    def of(cls, override: Override) -> OverrideBody:
        return cls(
            traktId=override.trakt_id,
            abs=override.abs,
            season=override.season,
            episode=override.episode,
        )


class OverrideRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    traktId: IdText
    abs: IdText
    season: IdText
    episode: IdText


class OverrideList(BaseModel):
    count: int
    items: list[OverrideBody]

    @classmethod
    def of(cls, overrides: list[Override]) -> OverrideList:
        return cls(count=len(overrides), items=[OverrideBody.of(o) for o in overrides])


class UnmappedList(BaseModel):
    count: int
    items: list[UnmappedItem]

    @classmethod
    def of(cls, entries: list[UnmappedEntry], covers: Container[int] = frozenset()) -> UnmappedList:
        items = [UnmappedItem.of(e, covers) for e in entries]
        return cls(count=len(entries), items=items)


class TraktSearchHit(BaseModel):
    """One show from a Trakt title search, enough to pick it and save a mapping."""

    traktId: int
    title: str | None
    year: int | None
    slug: str | None
