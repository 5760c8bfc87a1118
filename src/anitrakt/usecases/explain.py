"""`anitrakt explain ANILIST_ID`: every episode → Trakt S/E, the rule, and disagreements.

Reads exactly what a sync would (AniList dates, the mapping, Trakt's episode list,
ranges, hints, overrides, claims) and writes nothing: no mapping is saved, no cache is
written, nothing is posted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from anitrakt.domain.anilist import MAX_PROGRESS_RANGE, Media
from anitrakt.domain.explain import (
    EpisodeLine,
    SourceView,
    disagreement,
    explain_entry,
    source_views,
)
from anitrakt.domain.ids import parse_anilist_id, whole_number
from anitrakt.domain.planning import MovieTarget, ShowTarget, Unmapped
from anitrakt.domain.targets import build_targets
from anitrakt.domain.values import IdMapping, SeasonHint, SourceName
from anitrakt.errors import NotFoundError
from anitrakt.store.overrides import get_overrides_for_shows
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sync.facts import load_placement_facts
from anitrakt.usecases.sync.shows import load_episode_lists

# When AniList gives no episode count (a long runner still airing) and no schedule.
DEFAULT_EPISODES = 24


@dataclass(frozen=True, slots=True)
class Explanation:
    anilist_id: int
    title: str
    trakt_id: int | None = None
    kind: str = "show"  # "show", "movie" or "unmapped"
    mapping: str = ""
    episodes: tuple[EpisodeLine, ...] = ()
    sources: list[SourceView] = field(default_factory=list)
    disagreement: str | None = None
    reason: str | None = None


def explain(runtime: Runtime, anilist_id: Any, episodes: Any = None) -> Explanation:
    """Where each episode of one entry would land, and why; changes nothing."""
    anilist_id = parse_anilist_id(anilist_id)
    count = None
    if episodes is not None:
        count = whole_number(
            episodes, "episodes", minimum=1, maximum=MAX_PROGRESS_RANGE, what="an episode count"
        )
    with runtime.sync_deps() as deps:
        details = deps.anilist.media_details([anilist_id]).get(anilist_id)
        if details is None:
            raise NotFoundError(f"AniList has no anime {anilist_id}", field="anilistId")
        media = details.media
        resolution = deps.resolver.resolve_many([media], save=False)[anilist_id]
        if not isinstance(resolution, IdMapping) or resolution.trakt_id is None:
            reason = str(getattr(resolution, "reason", "no Trakt id"))
            return Explanation(anilist_id, media.title, kind="unmapped", reason=reason)
        wanted = {anilist_id: media}
        lists, _ = load_episode_lists(
            deps.sessions, deps.trakt, [resolution.trakt_id], now=deps.now(), save=False
        )
        airing = {anilist_id: details.airing} if details.airing.has_dates else {}
        facts = load_placement_facts(deps, wanted, {anilist_id: resolution}, airing=airing)
        with deps.sessions() as session:
            overrides = get_overrides_for_shows(session, [resolution.trakt_id])
        hit = runtime.source_index.lookup_many([anilist_id]).get(anilist_id)
    target = build_targets(wanted, {anilist_id: resolution}, lists, overrides, facts)[anilist_id]
    described = _described(resolution)
    if isinstance(target, MovieTarget):
        return Explanation(anilist_id, media.title, target.trakt_id, "movie", described)
    if isinstance(target, Unmapped):
        return Explanation(anilist_id, media.title, kind="unmapped", reason=target.reason)
    assert isinstance(target, ShowTarget)
    numbers = range(1, (count or _episode_count(media, details.airing.schedule)) + 1)
    lines = explain_entry(target.show, target.entry, numbers)
    fribb = otaku = None
    if hit is not None and hit.fribb is not None and hit.fribb.season is not None:
        fribb = SeasonHint(hit.fribb.season, hit.fribb.episode_offset or 0, SourceName.FRIBB)
    if hit is not None and hit.otaku is not None and hit.otaku.season is not None:
        otaku = SeasonHint(hit.otaku.season, 0, SourceName.OTAKU)
    views = source_views(target.show, target.entry, numbers, fribb=fribb, otaku=otaku)
    return Explanation(
        anilist_id,
        media.title,
        target.trakt_id,
        "show",
        described,
        lines,
        views,
        disagreement(views),
    )


def _episode_count(media: Media, schedule: Any) -> int:
    if media.episodes:
        return media.episodes
    return max(schedule, default=DEFAULT_EPISODES)


def _described(mapping: IdMapping) -> str:
    kind = "manual" if mapping.manual else "automatic"
    hint = ""
    if mapping.trakt_season is not None:
        hint = f", season {mapping.trakt_season} offset {mapping.episode_offset or 0}"
    return f"{kind} mapping to Trakt {mapping.trakt_id}{hint}"
