"""Entries held for review, and the one-click fix that settles them. Pure.

Placement holds an episode when the sources disagree or cannot settle where it goes
(docs/placement.md): nothing is posted for it. A run groups its held episodes per
entry (`review_entries`); the person fixes one by naming the Trakt episode its first
AniList episode is, which becomes a manual season hint (`fix_hint`): the rest follow
as Trakt lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from anitrakt.domain.values import SeasonHint
from anitrakt.errors import InputError

if TYPE_CHECKING:  # types only: reading the review list must not load the planner
    from anitrakt.domain.anilist import Media
    from anitrakt.domain.episodes import EpisodeList
    from anitrakt.domain.planning import Held


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """One AniList entry with episodes held for review, and why (the first reason given).

    `reasons` keeps every distinct reason, in episode order, for the detail view.
    """

    anilist_id: int
    title: str
    trakt_id: int
    episodes: tuple[int, ...]
    reason: str
    rule: str | None = None
    reasons: tuple[str, ...] = ()
    last_seen: datetime | None = field(default=None, compare=False)

    @property
    def episodes_text(self) -> str:
        """`1–12`, `13`, or `1–3, 7` — the held AniList episodes, briefly."""
        return episodes_text(self.episodes)


def episodes_text(episodes: Iterable[int]) -> str:
    runs: list[tuple[int, int]] = []
    for episode in sorted(set(episodes)):
        if runs and episode == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], episode)
        else:
            runs.append((episode, episode))
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


def review_entries(held: Iterable[Held], media: Mapping[int, Media]) -> list[ReviewEntry]:
    """Group held episodes per entry, in the order the plan met them."""
    grouped: dict[int, list[Held]] = {}
    for item in held:
        grouped.setdefault(item.anilist_id, []).append(item)
    entries = []
    for anilist_id, items in grouped.items():
        known = media.get(anilist_id)
        title = known.title if known is not None else f"AniList #{anilist_id}"
        ordered = sorted(items, key=lambda h: h.anilist_episode)
        reasons = tuple(dict.fromkeys(h.reason for h in ordered))
        entries.append(
            ReviewEntry(
                anilist_id,
                title,
                ordered[0].trakt_id,
                tuple(sorted({h.anilist_episode for h in ordered})),
                ordered[0].reason,
                ordered[0].rule,
                reasons,
            )
        )
    return entries


def fix_hint(episodes: EpisodeList, season: int, number: int) -> SeasonHint:
    """The manual hint that puts AniList episode 1 on Trakt's S`season`E`number`.

    A hint lands episode `e` on the `(offset + e)`-th episode of its season as Trakt
    lists it (docs/placement.md), so the offset is that episode's place in its season.
    """
    listed = episodes.specials if season == 0 else episodes.season(season)
    for place, episode in enumerate(listed):
        if episode.number == number:
            return SeasonHint(season, place)
    if not listed:
        raise InputError(f"Trakt lists no season {season} for this show", field="season")
    raise InputError(
        f"Trakt's season {season} has no episode {number} "
        f"(it lists {listed[0].number}–{listed[-1].number})",
        field="episode",
    )
