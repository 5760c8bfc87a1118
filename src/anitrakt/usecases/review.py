"""Entries held for review (docs/placement.md): list them, and fix one in one step.

A fix names the Trakt episode an entry's first AniList episode is; it becomes a manual
mapping (season hint + offset) to the same Trakt show, so the rest follow as Trakt
lists them and the next sync posts what was held. The entry leaves the review list at
once; if the fix still cannot place an episode, the next run holds it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anitrakt.domain.ids import MAX_EPISODE, MAX_SEASON, parse_anilist_id, whole_number
from anitrakt.domain.review import ReviewEntry, fix_hint
from anitrakt.domain.values import SeasonHint
from anitrakt.errors import NotFoundError
from anitrakt.store.mappings import get_mapping_values
from anitrakt.store.review import load_review
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.manual import ManualMappingInput
from anitrakt.usecases.mappings import MappingEntry, map_manually
from anitrakt.usecases.sync.shows import load_episode_lists


def held_for_review(runtime: Runtime) -> list[ReviewEntry]:
    """Every entry recent runs held, newest first."""
    with runtime.sessions() as session:
        entries = load_review(session).values()
    return sorted(
        entries, key=lambda e: e.last_seen.isoformat() if e.last_seen else "", reverse=True
    )


@dataclass(frozen=True, slots=True)
class ReviewFix:
    """The manual mapping a fix saved, and the hint it holds."""

    entry: MappingEntry
    hint: SeasonHint


def fix_review(runtime: Runtime, anilist_id: Any, season: Any, episode: Any) -> ReviewFix:
    """Say AniList episode 1 of `anilist_id` is Trakt's S`season`E`episode`; save that.

    The Trakt show is the one the entry was held on (or, for an entry not held, the one
    it is mapped to); the episode must be one Trakt lists for it. Bad input is an
    InputError naming the field.
    """
    anilist_id = parse_anilist_id(anilist_id)
    season = whole_number(
        season, "season", minimum=0, maximum=MAX_SEASON, what=f"a season number 0–{MAX_SEASON}"
    )
    episode = whole_number(
        episode, "episode", minimum=1, maximum=MAX_EPISODE, what="an episode number"
    )
    with runtime.sessions() as session:
        held = load_review(session).get(anilist_id)
        mapped = get_mapping_values(session, [anilist_id]).get(anilist_id)
    trakt_id = held.trakt_id if held is not None else None
    if trakt_id is None and mapped is not None:
        trakt_id = mapped.trakt_id
    if trakt_id is None:
        raise NotFoundError(
            f"AniList {anilist_id} is neither held for review nor mapped to a Trakt show",
            field="anilistId",
        )
    with runtime.trakt() as trakt:
        lists, _ = load_episode_lists(runtime.sessions, trakt, [trakt_id], now=runtime.now())
    hint = fix_hint(lists[trakt_id], season, episode)
    same_show = mapped is not None and mapped.trakt_id == trakt_id
    given = ManualMappingInput(
        anilist_id=anilist_id,
        trakt_id=trakt_id,
        tmdb_id=mapped.tmdb_id if same_show and mapped else None,
        imdb_id=mapped.imdb_id if same_show and mapped else None,
        tvdb_id=mapped.tvdb_id if same_show and mapped else None,
        season=hint.season,
        offset=hint.offset,
    )
    saved = map_manually(runtime, given)
    runtime.events.info(
        f"review fixed: AniList {anilist_id} episode 1 is Trakt {trakt_id} "
        f"S{season}E{episode} (season {hint.season}, offset {hint.offset})"
    )
    return ReviewFix(saved, hint)
