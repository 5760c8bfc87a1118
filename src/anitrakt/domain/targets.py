"""Between a plan and Trakt: each entry's target, the history body, Trakt's answers.

Pure: `build_targets` gives each resolved entry its Trakt show (with its episode list and
overrides) or movie, `history_items` groups planned plays into the one body anitrakt
posts, and the two readers tell which plays Trakt reported missing or already has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from anitrakt.domain.anilist import Media
from anitrakt.domain.episodes import EpisodeList
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


def build_targets(
    media: Mapping[int, Media],
    resolutions: Mapping[int, Resolution],
    lists: Mapping[int, EpisodeList],
    overrides: Mapping[int, Mapping[int, tuple[int, int]]],
) -> dict[int, Target]:
    """Each entry's Trakt target: a show with its episode list, a movie, or Unmapped."""
    targets: dict[int, Target] = {}
    for anilist_id, resolution in resolutions.items():
        if not isinstance(resolution, IdMapping) or resolution.trakt_id is None:
            reason = getattr(resolution, "reason", "no Trakt id")
            targets[anilist_id] = Unmapped(str(reason))
            continue
        if is_movie(resolution, media.get(anilist_id)):
            targets[anilist_id] = MovieTarget(resolution.trakt_id)
            continue
        episodes = lists.get(resolution.trakt_id)
        if episodes is None:
            targets[anilist_id] = Unmapped("Trakt episode list unavailable")
            continue
        hint = None
        if resolution.trakt_season is not None:
            hint = SeasonHint(resolution.trakt_season, resolution.episode_offset or 0)
        targets[anilist_id] = ShowTarget(
            resolution.trakt_id,
            hint,
            episodes,
            overrides.get(resolution.trakt_id, {}),
        )
    return targets


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
