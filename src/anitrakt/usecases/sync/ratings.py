"""Ratings (docs/beyond-history.md "Ratings"): AniList scores → Trakt, where they differ.

One read of the account's ratings per run, a plan (`domain.ratings.plan_ratings`) and
posts of 100 ratings at most; a rating Trakt could not find is reported, the rest stay
written. Re-running writes nothing: every rating then matches.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from anitrakt.clients.trakt_lists import TraktLists
from anitrakt.domain.extras import ExtraItem
from anitrakt.domain.lists import library_order
from anitrakt.domain.ratings import (
    RatingCandidate,
    RatingWrite,
    ScoreFormat,
    plan_ratings,
    rating_target,
)
from anitrakt.domain.trakt_lists import ItemRef, ratings_limit
from anitrakt.domain.values import IdMapping, TraktType
from anitrakt.errors import AccountLimit, UpstreamError
from anitrakt.usecases.sync.extras_context import (
    Extras,
    batches,
    effective_limit,
    learn_limit,
    stopping,
)
from anitrakt.usecases.sync.report import FeatureReport


def _candidates(extras: Extras) -> list[RatingCandidate]:
    """Every scored entry with where its score would go, in AniList order."""
    entries = sorted(extras.library.entries, key=library_order)
    shows = Counter(
        item.trakt_id for item in extras.stored_items().values() if item.kind is TraktType.SHOW
    )
    candidates = []
    for entry in entries:
        anilist_id, title = entry.media.id, entry.media.title
        updated = datetime.fromtimestamp(entry.updated_at, UTC)
        if entry.score <= 0:
            candidates.append(RatingCandidate(anilist_id, title, 0.0, updated, None))
            continue
        item = extras.item_of(anilist_id)
        if not isinstance(item, ItemRef):
            candidates.append(RatingCandidate(anilist_id, title, entry.score, updated, None, item))
            continue
        resolution = extras.resolutions[anilist_id]
        assert isinstance(resolution, IdMapping)
        target = rating_target(
            item.trakt_id,
            movie=item.kind is TraktType.MOVIE,
            season=resolution.trakt_season,
            offset=resolution.episode_offset or 0,
            shared=shows[item.trakt_id] > 1,
        )
        if isinstance(target, str):
            candidates.append(
                RatingCandidate(anilist_id, title, entry.score, updated, None, target)
            )
        else:
            candidates.append(RatingCandidate(anilist_id, title, entry.score, updated, target))
    return candidates


def _item(write: RatingWrite, note: str = "") -> ExtraItem:
    candidate = write.candidate
    was = f"Trakt had {write.previous}" if write.previous is not None else "not rated on Trakt"
    return ExtraItem(
        candidate.anilist_id,
        candidate.title,
        f"rate {write.post.rating}",
        write.post.target.describe(),
        note or was,
    )


def sync_ratings(extras: Extras, part: FeatureReport) -> set[int]:
    """Write every score Trakt lacks or holds differently; 0 writes nothing."""
    raw = extras.library.score_format or ""
    if raw not in ScoreFormat.__members__:
        raise UpstreamError(
            f"AniList did not say which score format the list uses ({raw!r}); no rating was written"
        )
    lists = TraktLists(extras.deps.trakt)
    on_trakt = {r.target: r.rating for r in lists.ratings()}
    candidates = _candidates(extras)
    if any(c.target is not None and c.target not in on_trakt for c in candidates):
        limit = effective_limit(extras.deps, part, ratings_limit(extras.user()))
    else:
        limit = len(on_trakt)  # only changes: they add no rating
    plan = plan_ratings(candidates, ScoreFormat[raw], on_trakt, limit=limit)
    part.left = [
        ExtraItem(c.anilist_id, c.title, "leave", c.target.describe() if c.target else "—", why)
        for c, why in plan.left
    ]
    part.unchanged, part.ignored = plan.unchanged, plan.unscored
    if extras.dry_run:
        part.writes = [_item(w) for w in plan.writes]
        return set()
    for batch in batches(plan.writes):
        if stopping(extras.deps):
            part.left += [_item(w, "not written: anitrakt is shutting down") for w in batch]
            break
        try:
            result = lists.rate(w.post for w in batch)
        except AccountLimit as exc:
            learn_limit(part, exc)
            raise
        for write in batch:
            if write.post.target in result.ratings_not_found:
                part.left.append(_item(write, "not found on Trakt"))
            else:
                part.writes.append(_item(write))
                part.written += 1
    return set()
