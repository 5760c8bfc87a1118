"""Trakt's ratings, watchlist, dropped shows and one item's plays (docs/beyond-history.md).

A small client over `TraktClient`'s one request path (`send`, `read_pages`): the same
pacing, token refresh, bounded retries and typed errors — a 420 past an account cap is
`AccountLimit`, never retried. Wire shapes stay here; callers get
`anitrakt.domain.trakt_lists` values. Shapes follow Trakt's API contract
(trakt/trakt-api `projects/api/src/contracts/{sync,users}`) and the recorded bodies the
fake is held to (tests/fakes/trakt).

Adding to a list or rating is safe to resend (Trakt keeps one of each), so those posts
are retried after an unclear failure like reads; `add_to_history` (plays) is not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from anitrakt.clients.trakt import TraktClient
from anitrakt.clients.trakt_wire import as_int, dicts, ids_of
from anitrakt.domain.instants import parse_instant
from anitrakt.domain.trakt import trakt_datetime
from anitrakt.domain.trakt_lists import (
    HistoryPlay,
    ItemRef,
    ListedItems,
    ListWrite,
    RatingKind,
    RatingPost,
    RatingTarget,
    TraktRating,
)
from anitrakt.domain.values import TraktType

WATCHLIST = "/sync/watchlist"
DROPPED = "/users/hidden/dropped"
RATINGS = "/sync/ratings"


class TraktLists:
    """The list and ratings operations, sharing `trakt`'s connection and limits."""

    def __init__(self, trakt: TraktClient) -> None:
        self._trakt = trakt

    # -- ratings -------------------------------------------------------------------

    def ratings(self) -> list[TraktRating]:
        """Every show, season and movie rating of the account (all pages)."""
        found = []
        for item in self._trakt.read_pages(RATINGS):
            target = _rating_target(item)
            rating = as_int(item.get("rating"))
            if target is not None and rating is not None:
                found.append(TraktRating(target, rating, parse_instant(item.get("rated_at"))))
        return found

    def rate(self, posts: Iterable[RatingPost]) -> ListWrite:
        """Write ratings (a season's inside its show: Trakt rates the seasons it is sent)."""
        movies: list[dict[str, Any]] = []
        shows: list[dict[str, Any]] = []
        seasons: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for post in posts:
            rated = {"rating": post.rating, "rated_at": trakt_datetime(post.rated_at)}
            target = post.target
            if target.kind is RatingKind.SEASON:
                seasons[target.trakt_id].append({"number": target.season, **rated})
            elif target.kind is RatingKind.SHOW:
                shows.append({"ids": {"trakt": target.trakt_id}, **rated})
            else:
                movies.append({"ids": {"trakt": target.trakt_id}, **rated})
        shows += [{"ids": {"trakt": i}, "seasons": s} for i, s in sorted(seasons.items())]
        body = {key: value for key, value in (("movies", movies), ("shows", shows)) if value}
        if not body:
            return ListWrite()
        answer = self._trakt.send("POST", RATINGS, json=body, idempotent=True)
        return ListWrite(ratings_not_found=_ratings_not_found(answer))

    # -- the watchlist and dropped shows ---------------------------------------------

    def watchlist(self) -> ListedItems:
        """The watchlist's shows and movies, and how many items it holds in all."""
        return _listed(self._trakt.read_pages(WATCHLIST))

    def add_to_watchlist(self, items: Iterable[ItemRef]) -> ListWrite:
        return self._write(WATCHLIST, items)

    def remove_from_watchlist(self, items: Iterable[ItemRef]) -> ListWrite:
        return self._write(f"{WATCHLIST}/remove", items)

    def dropped(self) -> ListedItems:
        """The shows the account has dropped (Trakt's hidden section `dropped`)."""
        return _listed(self._trakt.read_pages(DROPPED))

    def drop(self, items: Iterable[ItemRef]) -> ListWrite:
        return self._write(DROPPED, items)

    def undrop(self, items: Iterable[ItemRef]) -> ListWrite:
        return self._write(f"{DROPPED}/remove", items)

    def _write(self, path: str, items: Iterable[ItemRef]) -> ListWrite:
        body: dict[str, list[dict[str, Any]]] = {}
        for item in dict.fromkeys(items):  # in the order given (AniList's)
            body.setdefault(f"{item.kind.value}s", []).append({"ids": {"trakt": item.trakt_id}})
        if not body:
            return ListWrite()
        answer = self._trakt.send("POST", path, json=body, idempotent=True)
        return ListWrite(not_found=_items_not_found(answer))

    # -- one item's plays ----------------------------------------------------------

    def plays_of(self, item: ItemRef) -> list[HistoryPlay]:
        """Every play of one show (its episodes) or movie, from the account's history."""
        path = f"/sync/history/{item.kind.value}s/{item.trakt_id}"
        plays = []
        for entry in self._trakt.read_pages(path):
            watched_at = parse_instant(entry.get("watched_at"))
            if watched_at is None:
                continue
            episode = entry.get("episode")
            if item.kind is TraktType.SHOW and isinstance(episode, dict):
                season, number = as_int(episode.get("season")), as_int(episode.get("number"))
                if season is not None and number is not None:
                    plays.append(HistoryPlay(season, number, watched_at))
            elif item.kind is TraktType.MOVIE and entry.get("type") == "movie":
                plays.append(HistoryPlay(None, None, watched_at))
        return plays


# -- wire → domain -----------------------------------------------------------------------


def _trakt_id(body: Any) -> int | None:
    return ids_of(body).trakt


def _rating_target(item: dict[str, Any]) -> RatingTarget | None:
    kind = item.get("type")
    if kind == "movie" and (movie := _trakt_id(item.get("movie"))) is not None:
        return RatingTarget(RatingKind.MOVIE, movie)
    show = _trakt_id(item.get("show"))
    if show is None:
        return None
    if kind == "show":
        return RatingTarget(RatingKind.SHOW, show)
    season = item.get("season")
    number = as_int(season.get("number")) if isinstance(season, dict) else None
    if kind == "season" and number is not None:
        return RatingTarget(RatingKind.SEASON, show, number)
    return None  # episodes: anitrakt never rates them


def _listed(items: list[dict[str, Any]]) -> ListedItems:
    found = set()
    for item in items:
        kind = item.get("type")
        if kind in ("show", "movie") and (trakt_id := _trakt_id(item.get(kind))) is not None:
            found.add(ItemRef(TraktType(kind), trakt_id))
    return ListedItems(frozenset(found), len(items))


def _not_found(answer: Any, key: str) -> list[dict[str, Any]]:
    missing = answer.get("not_found") if isinstance(answer, dict) else None
    return dicts(missing.get(key)) if isinstance(missing, dict) else []


def _items_not_found(answer: Any) -> frozenset[ItemRef]:
    found = set()
    for key, kind in (("shows", TraktType.SHOW), ("movies", TraktType.MOVIE)):
        for item in _not_found(answer, key):
            if (trakt_id := _trakt_id(item)) is not None:
                found.add(ItemRef(kind, trakt_id))
    return frozenset(found)


def _ratings_not_found(answer: Any) -> frozenset[RatingTarget]:
    found = set()
    for item in _not_found(answer, "movies"):
        if (trakt_id := _trakt_id(item)) is not None:
            found.add(RatingTarget(RatingKind.MOVIE, trakt_id))
    # A missing show comes back under `shows` as it was sent; a missing season of a
    # known show under `seasons`, as its show with that one season (as for history).
    for key in ("shows", "seasons"):
        for item in _not_found(answer, key):
            if (trakt_id := _trakt_id(item)) is None:
                continue
            numbers = [as_int(s.get("number")) for s in dicts(item.get("seasons"))]
            if not numbers and key == "shows":
                found.add(RatingTarget(RatingKind.SHOW, trakt_id))
            found.update(
                RatingTarget(RatingKind.SEASON, trakt_id, n) for n in numbers if n is not None
            )
    return frozenset(found)
