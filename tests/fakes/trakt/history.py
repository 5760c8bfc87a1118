"""The fake Trakt's watch history and POST /sync/history.

Like Trakt, a history post records EVERY play it is sent (no dedupe), lists what it
cannot match under `not_found`, and expands a show or season posted without episodes to
all of its episodes — counted in `bare_show_posts` / `bare_season_posts`, so tests can
assert the client never does that. A body Trakt would refuse applies nothing (422).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from starlette.responses import JSONResponse, Response

from .answers import _Ctx, _empty
from .model import (
    Play,
    _Episode,
    _Movie,
    _same_id,
    _Season,
    _Show,
    _Titled,
    getattr_id,
    iso_utc,
    normalise_watched_at,
)
from .state import TraktState


class _Invalid(Exception):
    """A request body Trakt would refuse as a whole (422: validation errors)."""


class SyncHistory(TraktState):
    """History part of `FakeTrakt`: `add_watched`, `add_watched_movie`, `play_count`,
    `history_counts`, and the /sync/history route."""

    def add_watched(
        self,
        show_trakt_id: int,
        season: int,
        number: int,
        *,
        watched_at: str = "2020-01-01T00:00:00.000Z",
        plays: int = 1,
    ) -> None:
        """Seed history that exists before the test (e.g. an account watched elsewhere)."""
        with self._lock:
            episode = self._shows[show_trakt_id].seasons[season].episode(number)
            if episode is None:
                raise KeyError((show_trakt_id, season, number))
            for _ in range(plays):
                self._apply_play(episode, normalise_watched_at(watched_at) or watched_at)
            self._touch("episodes")

    def add_watched_movie(
        self, trakt_id: int, *, watched_at: str = "2020-01-01T00:00:00.000Z", plays: int = 1
    ) -> None:
        with self._lock:
            movie = self._movies[trakt_id]
            for _ in range(plays):
                self._apply_play(movie, normalise_watched_at(watched_at) or watched_at)
            self._touch("movies")

    def play_count(self, show_trakt_id: int, season: int, number: int) -> int:
        return self.history_counts()[(show_trakt_id, season, number)]

    def history_counts(self) -> Counter[tuple[Any, ...]]:
        """Plays per `(show, season, number)` episode and per `("movie", trakt_id)`."""
        with self._lock:
            counts: Counter[tuple[Any, ...]] = Counter()
            for play in self.plays:
                if play.kind == "movie":
                    counts[("movie", play.trakt_id)] += 1
                else:
                    counts[(play.show_trakt_id, play.season, play.number)] += 1
            return counts

    # ------------------------------------------------------------------ sync routes

    def _sync_history(self, ctx: _Ctx) -> Response:
        body = ctx.req.json
        if not isinstance(body, dict):
            return _empty(400, "request body is not a JSON object")
        now = iso_utc(self.clock() // 60 * 60)  # play times are kept to the minute
        try:
            pending, not_found, bare_shows, bare_seasons = self._plan_history(body, now)
        except _Invalid as exc:
            return _empty(422, str(exc))
        if len(self.plays) + len(pending) > self.history_limit:
            # Trakt's 2026 cap on history plays: the whole post is refused, nothing applied.
            self.over_limit_posts += 1
            headers = {
                "X-Account-Limit": str(self.history_limit),
                "X-VIP-User": "true" if self.vip else "false",
                "X-Upgrade-URL": "https://trakt.tv/vip",
            }
            return _empty(420, "history play limit exceeded", headers)
        self.bare_show_posts += bare_shows + bare_seasons
        self.bare_season_posts += bare_seasons
        added = {"movies": 0, "episodes": 0}
        for target, watched_at in pending:
            self._apply_play(target, watched_at)
            added["movies" if isinstance(target, _Movie) else "episodes"] += 1
        if added["movies"]:
            self._touch("movies")
        if added["episodes"]:
            self._touch("episodes")
        return JSONResponse({"added": added, "not_found": not_found}, status_code=201)

    def _plan_history(
        self, body: dict[str, Any], now: str
    ) -> tuple[list[tuple[_Episode | _Movie, str]], dict[str, list[Any]], int, int]:
        """Resolve a history post without changing anything (a 422 must apply nothing)."""
        pending: list[tuple[_Episode | _Movie, str]] = []
        not_found: dict[str, list[Any]] = {
            "movies": [],
            "shows": [],
            "seasons": [],
            "episodes": [],
            "people": [],
        }
        bare_shows = bare_seasons = 0

        def when(*levels: Any) -> str:
            for level in levels:
                value = level.get("watched_at") if isinstance(level, dict) else None
                if value is None:
                    continue
                normalised = normalise_watched_at(value) if isinstance(value, str) else None
                if normalised is None:
                    raise _Invalid(f"watched_at {value!r} is not a UTC datetime")
                return normalised
            return now

        def add_season(show_item: dict[str, Any] | None, season: _Season, item: Any) -> None:
            nonlocal bare_seasons
            episodes = item.get("episodes")
            if not episodes:
                bare_seasons += 1
                pending.extend((ep, when(item, show_item)) for ep in season.episodes)
                return
            for ep_item in _objects(episodes):
                episode = season.episode(ep_item.get("number"))
                if episode is not None:
                    pending.append((episode, when(ep_item, item, show_item)))
                elif show_item is None:
                    not_found["episodes"].append(
                        {**_without(item, "episodes"), "episodes": [ep_item]}
                    )
                else:
                    nested = {**_without(item, "episodes"), "episodes": [ep_item]}
                    not_found["episodes"].append(
                        {**_without(show_item, "seasons"), "seasons": [nested]}
                    )

        for item in _objects(body.get("movies")):
            movie = self._match_movie(item)
            if movie is None:
                not_found["movies"].append(item)
            else:
                pending.append((movie, when(item)))
        for item in _objects(body.get("shows")):
            show = self._match_show(item)
            if show is None:
                not_found["shows"].append(item)
                continue
            seasons = item.get("seasons")
            if not seasons:
                bare_shows += 1
                pending.extend((ep, when(item)) for ep in show.regular_episodes())
                continue
            for season_item in _objects(seasons):
                season = show.seasons.get(_int_or_none(season_item.get("number")))  # type: ignore[arg-type]
                if season is None:
                    not_found["seasons"].append(
                        {**_without(item, "seasons"), "seasons": [season_item]}
                    )
                else:
                    add_season(item, season, season_item)
        for item in _objects(body.get("seasons")):
            found = self._match_season(item.get("ids"))
            if found is None:
                not_found["seasons"].append(item)
            else:
                add_season(None, found, item)
        for item in _objects(body.get("episodes")):
            episode = self._match_episode(item.get("ids"))
            if episode is None:
                not_found["episodes"].append(item)
            else:
                pending.append((episode, when(item)))
        pending = [(target, self._released(target, at, now)) for target, at in pending]
        return pending, not_found, bare_shows, bare_seasons

    def _released(self, target: _Episode | _Movie, watched_at: str, now: str) -> str:
        if watched_at != "released":
            return watched_at
        aired = target.first_aired if isinstance(target, _Episode) else None
        return aired or now

    def _apply_play(self, target: _Episode | _Movie, watched_at: str) -> None:
        added_at = iso_utc(self.clock())
        if isinstance(target, _Movie):
            self.plays.append(
                Play("movie", target.trakt_id, None, None, None, watched_at, added_at)
            )
        else:
            self.plays.append(
                Play(
                    "episode",
                    target.trakt_id,
                    target.show_trakt_id,
                    target.season,
                    target.number,
                    watched_at,
                    added_at,
                )
            )

    def _touch(self, kind: Literal["movies", "episodes"]) -> None:
        now = iso_utc(self.clock())
        self._activity[kind]["watched_at"] = now
        self._activity["all"] = now

    def _match_show(self, item: dict[str, Any]) -> _Show | None:
        ids = item.get("ids")
        if isinstance(ids, dict) and ids:
            for key in ("trakt", "imdb", "tmdb", "tvdb", "slug"):
                for show in self._shows.values():
                    if key in ids and _same_id(ids[key], getattr_id(show, key)):
                        return show
            return None
        return _match_title(list(self._shows.values()), item)

    def _match_movie(self, item: dict[str, Any]) -> _Movie | None:
        ids = item.get("ids")
        if isinstance(ids, dict) and ids:
            for key in ("trakt", "imdb", "tmdb", "slug"):
                for movie in self._movies.values():
                    if key in ids and _same_id(ids[key], getattr_id(movie, key)):
                        return movie
            return None
        return _match_title(list(self._movies.values()), item)

    def _match_season(self, ids: Any) -> _Season | None:
        if not isinstance(ids, dict):
            return None
        for show in self._shows.values():
            for season in show.seasons.values():
                if _same_id(ids.get("trakt"), season.trakt_id):
                    return season
        return None

    def _match_episode(self, ids: Any) -> _Episode | None:
        if not isinstance(ids, dict):
            return None
        episodes = [
            ep for show in self._shows.values() for s in show.seasons.values() for ep in s.episodes
        ]
        for key in ("trakt", "imdb", "tmdb", "tvdb"):
            for episode in episodes:
                if key in ids and _same_id(ids[key], getattr_id(episode, key)):
                    return episode
        return None


# --------------------------------------------------------------------------- helpers


def _objects(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Invalid("expected an array of objects")
    return value


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _match_title(items: list[_Titled], item: dict[str, Any]) -> _Titled | None:
    title = item.get("title")
    if not isinstance(title, str):
        return None
    for candidate in items:
        if candidate.title.lower() == title.lower() and item.get("year") in (None, candidate.year):
            return candidate
    return None
