"""Trakt's JSON → anitrakt's values: the one place that knows Trakt's wire shapes.

Lenient on purpose: a missing or oddly typed field costs that field (None), never the
whole answer; shapes follow the recorded bodies in tests/fakes/trakt.
"""

from __future__ import annotations

from typing import Any

from anitrakt.domain.ids import lenient_int
from anitrakt.domain.instants import parse_instant
from anitrakt.domain.trakt import (
    NotFoundItem,
    SearchResult,
    TraktEpisode,
    TraktIds,
    TraktMovie,
    TraktShow,
    TraktUser,
    WatchedShow,
)
from anitrakt.domain.values import TraktType


def as_int(value: Any) -> int | None:
    """An int Trakt sent as a number or as digits (never a bool, a fraction or '²')."""
    number = lenient_int(value)
    return None if isinstance(value, float) else number


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def ids_of(body: Any) -> TraktIds:
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, dict):
        return TraktIds()
    return TraktIds(
        trakt=as_int(ids.get("trakt")),
        slug=as_str(ids.get("slug")),
        tvdb=as_int(ids.get("tvdb")),
        tmdb=as_int(ids.get("tmdb")),
        imdb=as_str(ids.get("imdb")),
    )


def show_of(body: Any) -> TraktShow:
    body = body if isinstance(body, dict) else {}
    return TraktShow(
        title=as_str(body.get("title")), year=as_int(body.get("year")), ids=ids_of(body)
    )


def movie_of(body: Any) -> TraktMovie:
    body = body if isinstance(body, dict) else {}
    return TraktMovie(
        title=as_str(body.get("title")), year=as_int(body.get("year")), ids=ids_of(body)
    )


def episode_of(body: dict[str, Any], season: int) -> TraktEpisode | None:
    number = as_int(body.get("number"))
    if number is None:
        return None
    own_season = as_int(body.get("season"))
    return TraktEpisode(
        season=season if own_season is None else own_season,
        number=number,
        number_abs=as_int(body.get("number_abs")),
        trakt_id=ids_of(body).trakt,
        title=as_str(body.get("title")),
        first_aired=parse_instant(body.get("first_aired")),
    )


def dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def search_results(body: Any) -> list[SearchResult]:
    results = []
    for item in dicts(body):
        kind = item.get("type")
        score = item.get("score")
        score = float(score) if isinstance(score, int | float) else None
        if kind == "show" and isinstance(item.get("show"), dict):
            results.append(SearchResult(TraktType.SHOW, show=show_of(item["show"]), score=score))
        elif kind == "movie" and isinstance(item.get("movie"), dict):
            results.append(
                SearchResult(TraktType.MOVIE, movie=movie_of(item["movie"]), score=score)
            )
    return results


def not_found_items(body: Any) -> tuple[NotFoundItem, ...]:
    """Every posted item Trakt reports missing, one entry per affected episode."""
    if not isinstance(body, dict):
        return ()
    found: list[NotFoundItem] = []
    kinds = (("movies", "movie"), ("shows", "show"), ("seasons", "season"), ("episodes", "episode"))
    for key, kind in kinds:
        for item in dicts(body.get(key)):
            seasons = dicts(item.get("seasons"))
            episodes = [
                (as_int(season.get("number")), as_int(episode.get("number")))
                for season in seasons
                for episode in (dicts(season.get("episodes")) or [{}])
            ]
            for season_number, number in episodes or [(None, None)]:
                found.append(NotFoundItem(kind, ids_of(item), season_number, number))
    return tuple(found)


def watched_show_of(item: dict[str, Any]) -> WatchedShow:
    """One /sync/watched/shows item: the show, and plays per (season, number)."""
    plays: dict[tuple[int, int], int] = {}
    for season in dicts(item.get("seasons")):
        season_number = as_int(season.get("number"))
        for episode in dicts(season.get("episodes")):
            number = as_int(episode.get("number"))
            if season_number is not None and number is not None:
                plays[(season_number, number)] = as_int(episode.get("plays")) or 1
    return WatchedShow(show_of(item.get("show")), plays)


def user_of(body: Any) -> TraktUser:
    """GET /users/settings: the account's name, VIP status and limits."""
    user = body.get("user") if isinstance(body, dict) else None
    user = user if isinstance(user, dict) else {}
    limits_body = body.get("limits") if isinstance(body, dict) else None
    limits = {
        name: {k: v for k, v in values.items() if as_int(v) is not None}
        for name, values in (limits_body or {}).items()
        if isinstance(values, dict)
    }
    return TraktUser(
        username=as_str(user.get("username")) or "",
        slug=ids_of(user).slug,
        name=as_str(user.get("name")),
        vip=user.get("vip") is True,
        private=user.get("private") is True,
        limits=limits,
    )
