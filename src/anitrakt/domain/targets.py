"""Between a plan and Trakt: each entry's target, the history body, Trakt's answers.

Pure: `build_targets` gives each resolved entry its Trakt show (with everything placement
needs: episode list, overrides, claims, the entry's hints, ranges and air dates) or
movie, `history_items` groups planned plays into the one body anitrakt posts, and the
two readers tell which plays Trakt reported missing or already has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from anitrakt.domain.airdates import Airing
from anitrakt.domain.anibridge import EntryRanges
from anitrakt.domain.anilist import Media
from anitrakt.domain.claims import with_claims
from anitrakt.domain.episodes import EpisodeList
from anitrakt.domain.placement import EntryFacts, ShowFacts
from anitrakt.domain.planning import (
    MovieTarget,
    PlannedPlay,
    ShowTarget,
    Target,
    Unmapped,
    WatchedState,
)
from anitrakt.domain.trakt import (
    EpisodePlay,
    HistoryItems,
    MoviePlay,
    NotFoundItem,
    ShowPlays,
    TraktIds,
)
from anitrakt.domain.values import IdMapping, Resolution, SeasonHint, TraktType


@dataclass(frozen=True, slots=True)
class PlacementFacts:
    """What placement knows beyond the mapping rows (docs/placement.md), by AniList id.

    `source_hints`: the Fribb/Otaku hint the loaded sources give now (an entry the
    sources know but give no season has None; one they do not know is absent, and its
    stored auto mapping's hint is used). `ranges`: anibridge lines. `airing`: AniList's
    dates. `neighbours`: per Trakt show id, the other entries known on that show with
    their episode counts, for the claims.
    """

    source_hints: Mapping[int, SeasonHint | None] = field(default_factory=dict)
    ranges: Mapping[int, EntryRanges] = field(default_factory=dict)
    airing: Mapping[int, Airing] = field(default_factory=dict)
    neighbours: Mapping[int, Sequence[tuple[EntryFacts, int | None]]] = field(default_factory=dict)


def entry_facts(anilist_id: int, mapping: IdMapping, facts: PlacementFacts) -> EntryFacts:
    """What the sources say about one resolved entry: a manual row's hint is the person's."""
    stored = None
    if mapping.trakt_season is not None:
        stored = SeasonHint(mapping.trakt_season, mapping.episode_offset or 0)
    manual = stored if mapping.manual else None
    if anilist_id in facts.source_hints:
        source = facts.source_hints[anilist_id]
    else:
        source = None if mapping.manual else stored
    return EntryFacts(
        anilist_id,
        manual_hint=manual,
        source_hint=source,
        ranges=facts.ranges.get(anilist_id),
        airing=facts.airing.get(anilist_id),
    )


def build_targets(
    media: Mapping[int, Media],
    resolutions: Mapping[int, Resolution],
    lists: Mapping[int, EpisodeList],
    overrides: Mapping[int, Mapping[int, tuple[int, int]]],
    facts: PlacementFacts | None = None,
) -> dict[int, Target]:
    """Each entry's Trakt target: a show with all placement needs, a movie, or Unmapped.

    Entries on one Trakt show share its `ShowFacts`, whose claims come from all of them
    and from the show's `neighbours`.
    """
    facts = facts or PlacementFacts()
    targets: dict[int, Target] = {}
    on_show: dict[int, list[tuple[int, IdMapping]]] = defaultdict(list)
    for anilist_id, resolution in resolutions.items():
        if not isinstance(resolution, IdMapping) or resolution.trakt_id is None:
            reason = getattr(resolution, "reason", "no Trakt id")
            targets[anilist_id] = Unmapped(str(reason))
            continue
        if is_movie(resolution, media.get(anilist_id)):
            targets[anilist_id] = MovieTarget(resolution.trakt_id)
            continue
        if resolution.trakt_id not in lists:
            targets[anilist_id] = Unmapped("Trakt episode list unavailable")
            continue
        on_show[resolution.trakt_id].append((anilist_id, resolution))
    for trakt_id, members in on_show.items():
        entries = {a: entry_facts(a, mapping, facts) for a, mapping in members}
        show = ShowFacts(
            lists[trakt_id],
            tmdb_id=next((m.tmdb_id for _, m in members if m.tmdb_id is not None), None),
            tvdb_id=next((m.tvdb_id for _, m in members if m.tvdb_id is not None), None),
            overrides=overrides.get(trakt_id, {}),
        )
        claimants = [(entry, _episode_count(media.get(a))) for a, entry in entries.items()]
        claimants += [
            n for n in facts.neighbours.get(trakt_id, ()) if n[0].anilist_id not in entries
        ]
        show = with_claims(show, claimants)
        for anilist_id, entry in entries.items():
            targets[anilist_id] = ShowTarget(trakt_id, show, entry)
    return targets


def _episode_count(media: Media | None) -> int | None:
    return None if media is None else media.episodes


def is_movie(resolution: IdMapping, media: Media | None) -> bool:
    """The mapping's Trakt type decides; without one, AniList's format does."""
    if resolution.trakt_type is not None:
        return resolution.trakt_type is TraktType.MOVIE
    return media is not None and media.is_movie


def history_items(plays: Iterable[PlannedPlay]) -> HistoryItems:
    """Group plays show → episodes, and movies; always explicit episodes."""
    shows: dict[int, list[EpisodePlay]] = defaultdict(list)
    movies: list[MoviePlay] = []
    for play in plays:
        if play.season is None or play.number is None:
            movies.append(MoviePlay(TraktIds(trakt=play.trakt_id), play.watched_at))
        else:
            shows[play.trakt_id].append(EpisodePlay(play.season, play.number, play.watched_at))
    return HistoryItems(
        shows=tuple(ShowPlays(TraktIds(trakt=i), tuple(e)) for i, e in shows.items()),
        movies=tuple(movies),
    )


def not_found_matches(item: NotFoundItem, play: PlannedPlay) -> bool:
    """Whether Trakt's `not_found` item is about `play`."""
    if item.ids.trakt != play.trakt_id:
        return False
    if item.kind == "movie":
        return play.is_movie
    if play.is_movie:
        return False
    if item.kind == "show":
        return True
    if item.kind == "season":
        return item.season == play.season
    return item.season == play.season and item.number == play.number


def on_trakt(play: PlannedPlay, watched: WatchedState) -> bool:
    """Whether Trakt's watched state already has `play`."""
    if play.is_movie:
        return play.trakt_id in watched.movies
    return (play.trakt_id, play.season, play.number) in watched.episodes
