"""Why each AniList episode of an entry lands where it does, source by source. Pure.

`anitrakt explain` (and `GET /api/explain/{id}`) places every episode with the whole
rule chain, then once per source on its own — anibridge lines, the Fribb hint, the
Otaku hint, air dates alone — so a person sees where each would put the entry and
whether they disagree (docs/placement.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from anitrakt.domain.placement import (
    EntryFacts,
    EntryPlacer,
    Pending,
    Placed,
    Placement,
    ShowFacts,
)
from anitrakt.domain.review import episodes_text
from anitrakt.domain.values import SeasonHint, SourceName


@dataclass(frozen=True, slots=True)
class EpisodeLine:
    """One AniList episode: where it goes (or that it waits or is held), the rule, why."""

    anilist_episode: int
    outcome: str  # "post", "pending" or "review"
    targets: tuple[tuple[int, int], ...] = ()
    rule: str | None = None
    detail: str | None = None

    @property
    def where(self) -> str:
        if not self.targets:
            return "—"
        return " + ".join(f"S{s}E{n}" for s, n in self.targets)


@dataclass(frozen=True, slots=True)
class SourceView:
    """What one source alone would do with the entry's episodes."""

    source: str
    says: str
    places: tuple[tuple[int, int], ...] = ()


def episode_line(placement: Placement) -> EpisodeLine:
    rule = None if placement.rule is None else placement.rule.value
    if isinstance(placement, Placed):
        return EpisodeLine(
            placement.anilist_episode, "post", placement.targets, rule, placement.note
        )
    kind = "pending" if isinstance(placement, Pending) else "review"
    return EpisodeLine(placement.anilist_episode, kind, (), rule, placement.reason)


def explain_entry(
    show: ShowFacts, entry: EntryFacts, episodes: Iterable[int]
) -> tuple[EpisodeLine, ...]:
    """Every episode through the whole rule chain, as the sync would place it."""
    placer = EntryPlacer(show, entry)
    return tuple(episode_line(placer.place(e)) for e in episodes)


def source_views(
    show: ShowFacts,
    entry: EntryFacts,
    episodes: Sequence[int],
    *,
    fribb: SeasonHint | None = None,
    otaku: SeasonHint | None = None,
) -> list[SourceView]:
    """Each source on its own (with the same claims), for the disagreement check."""
    bare = EntryFacts(entry.anilist_id)
    trials: list[tuple[str, EntryFacts | None]] = [
        ("manual", replace(bare, manual_hint=entry.manual_hint) if entry.manual_hint else None),
        ("anibridge", replace(bare, ranges=entry.ranges) if entry.ranges else None),
        ("fribb", replace(bare, source_hint=_named(fribb, SourceName.FRIBB)) if fribb else None),
        ("otaku", replace(bare, source_hint=_named(otaku, SourceName.OTAKU)) if otaku else None),
        (
            "air dates",
            replace(bare, source_hint=None, airing=entry.airing)
            if entry.airing is not None and entry.airing.has_dates
            else None,
        ),
    ]
    views = []
    for name, facts in trials:
        if facts is None:
            continue
        lines = explain_entry(show, facts, episodes)
        views.append(_view(name, lines))
    return views


def _named(hint: SeasonHint, source: SourceName) -> SeasonHint:
    return SeasonHint(hint.season, hint.offset, source)


def _view(name: str, lines: Sequence[EpisodeLine]) -> SourceView:
    places = tuple(t for line in lines for t in line.targets)
    held = [line.anilist_episode for line in lines if line.outcome == "review"]
    parts = []
    if places:
        parts.append(runs_text(places))
    if held:
        parts.append(f"holds {episodes_text(held)}")
    waiting = [line.anilist_episode for line in lines if line.outcome == "pending"]
    if waiting:
        parts.append(f"waits for {episodes_text(waiting)}")
    return SourceView(name, "; ".join(parts) or "nothing", places)


def runs_text(targets: Iterable[tuple[int, int]]) -> str:
    """`S1E25–S1E47, S0E1`: runs of consecutive episodes, in the given order."""
    runs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for season, number in targets:
        if runs and runs[-1][1] == (season, number - 1):
            runs[-1] = (runs[-1][0], (season, number))
        else:
            runs.append(((season, number), (season, number)))
    return ", ".join(
        f"S{a[0]}E{a[1]}" if a == b else f"S{a[0]}E{a[1]}–S{b[0]}E{b[1]}" for a, b in runs
    )


def disagreement(views: Sequence[SourceView]) -> str | None:
    """A sentence when sources that place episodes place them differently."""
    placing = [v for v in views if v.places]
    distinct = {v.places for v in placing}
    if len(distinct) <= 1:
        return None
    return "the sources disagree: " + "; ".join(f"{v.source} says {v.says}" for v in placing)
