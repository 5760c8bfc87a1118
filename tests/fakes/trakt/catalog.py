"""The fake Trakt's catalog: what a test declares, how Trakt renders it, and the read
routes over it (search by id or text, show and movie summaries, seasons).

Seasons declared as a count get auto-assigned Trakt ids and absolute numbers, so tests
stay short; `FakeEpisode` lists are taken as given when a test needs exact ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

from .answers import _Ctx, _empty, _paginated
from .model import (
    EPOCH_ISO,
    FakeEpisode,
    _Episode,
    _Movie,
    _same_id,
    _Season,
    _Show,
    getattr_id,
    slugify,
)
from .state import TraktState


class ShowCatalog(TraktState):
    """Catalog part of `FakeTrakt`: `add_show`, `add_season`, `add_movie`,
    `episode_trakt_id`, the JSON renderings and the catalog routes."""

    def add_show(
        self,
        trakt_id: int,
        title: str,
        *,
        slug: str | None = None,
        year: int | None = None,
        tvdb: int | None = None,
        tmdb: int | None = None,
        imdb: str | None = None,
        seasons: Mapping[int, int | Iterable[FakeEpisode]] | None = None,
    ) -> None:
        """Add a show; an int season means that many episodes, numbered 1..n.

        Int seasons get `number_abs` counting every regular-season episode before them
        (season 0 gets none); FakeEpisode lists are taken as given, in the given order.
        """
        with self._lock:
            if trakt_id in self._shows:
                raise ValueError(f"show {trakt_id} already exists")
            show = _Show(trakt_id, title, slug or slugify(title), year, tvdb, tmdb, imdb, {})
            seen_regular = 0
            for number in sorted(seasons or {}):
                spec = (seasons or {})[number]
                if isinstance(spec, int):
                    declared = [
                        FakeEpisode(
                            n, number_abs=seen_regular + n if number >= 1 else None, title=None
                        )
                        for n in range(1, spec + 1)
                    ]
                else:
                    declared = list(spec)
                episodes = [self._make_episode(trakt_id, number, ep) for ep in declared]
                show.seasons[number] = _Season(number, self._new_season_id(), episodes)
                if number >= 1:
                    seen_regular += len(episodes)
            self._shows[trakt_id] = show

    def add_season(self, show_trakt_id: int, number: int, episodes: int) -> None:
        """A new season airs: `episodes` episodes, `number_abs` continuing the show's."""
        with self._lock:
            show = self._shows[show_trakt_id]
            if number in show.seasons:
                raise ValueError(f"show {show_trakt_id} already has season {number}")
            before = sum(len(s.episodes) for n, s in show.seasons.items() if n >= 1)
            declared = [FakeEpisode(n, number_abs=before + n) for n in range(1, episodes + 1)]
            made = [self._make_episode(show_trakt_id, number, ep) for ep in declared]
            show.seasons[number] = _Season(number, self._new_season_id(), made)

    def add_movie(
        self,
        trakt_id: int,
        title: str,
        *,
        slug: str | None = None,
        year: int | None = None,
        tmdb: int | None = None,
        imdb: str | None = None,
    ) -> None:
        with self._lock:
            if trakt_id in self._movies:
                raise ValueError(f"movie {trakt_id} already exists")
            default_slug = slugify(f"{title} {year}" if year else title)
            self._movies[trakt_id] = _Movie(trakt_id, title, slug or default_slug, year, tmdb, imdb)

    def episode_trakt_id(self, show_trakt_id: int, season: int, number: int) -> int:
        """The Trakt id the fake gave an episode (KeyError when there is none)."""
        episode = self._shows[show_trakt_id].seasons[season].episode(number)
        if episode is None:
            raise KeyError((show_trakt_id, season, number))
        return episode.trakt_id

    def _make_episode(self, show_id: int, season: int, spec: FakeEpisode) -> _Episode:
        trakt_id = spec.trakt_id if spec.trakt_id is not None else self._new_episode_id()
        if trakt_id in self._episode_ids:
            raise ValueError(f"episode trakt id {trakt_id} is already taken")
        self._episode_ids.add(trakt_id)
        title = spec.title if spec.title is not None else f"Episode {spec.number}"
        return _Episode(
            show_id,
            season,
            spec.number,
            spec.number_abs,
            trakt_id,
            title,
            spec.tvdb,
            spec.tmdb,
            spec.imdb,
            spec.first_aired,
        )

    def _new_episode_id(self) -> int:
        self._next_episode_id += 1
        while self._next_episode_id in self._episode_ids:
            self._next_episode_id += 1
        return self._next_episode_id

    def _new_season_id(self) -> int:
        self._next_season_id += 1
        return self._next_season_id

    # --------------------------------------------------------------------- rendering

    def _show_json(self, show: _Show, extended: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"title": show.title, "year": show.year, "ids": show.ids()}
        if "full" in extended:
            first = f"{show.year}-04-01T15:00:00.000Z" if show.year else None
            body.update(
                {
                    "overview": f"{show.title} (fake Trakt show).",
                    "first_aired": first,
                    "airs": {"day": "Sunday", "time": "00:00", "timezone": "Asia/Tokyo"},
                    "runtime": 24,
                    "certification": "TV-14",
                    "network": "Fake Network",
                    "country": "jp",
                    "trailer": None,
                    "homepage": None,
                    "status": "returning series",
                    "rating": 8.0,
                    "votes": 100,
                    "updated_at": EPOCH_ISO,
                    "language": "ja",
                    "available_translations": ["en", "ja"],
                    "genres": ["anime", "animation"],
                    "aired_episodes": len(show.regular_episodes()),
                }
            )
        return body

    def _movie_json(self, movie: _Movie, extended: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"title": movie.title, "year": movie.year, "ids": movie.ids()}
        if "full" in extended:
            body["overview"] = f"{movie.title} (fake Trakt movie)."
        return body

    def _season_json(self, season: _Season, extended: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "number": season.number,
            "ids": {"trakt": season.trakt_id, "tvdb": None, "tmdb": None},
        }
        if "full" in extended:
            body.update(
                {
                    "rating": 8.0,
                    "votes": 10,
                    "episode_count": len(season.episodes),
                    "aired_episodes": len(season.episodes),
                    "overview": None,
                }
            )
        if "episodes" in extended:
            body["episodes"] = [self._episode_json(ep, extended) for ep in season.episodes]
        return body

    def _episode_json(self, episode: _Episode, extended: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "season": episode.season,
            "number": episode.number,
            "title": episode.title,
            "ids": {
                "trakt": episode.trakt_id,
                "tvdb": episode.tvdb,
                "imdb": episode.imdb,
                "tmdb": episode.tmdb,
            },
        }
        if "full" in extended:
            body.update(
                {
                    "number_abs": episode.number_abs,
                    "overview": None,
                    "rating": 8.0,
                    "votes": 10,
                    "first_aired": episode.first_aired,
                    "updated_at": EPOCH_ISO,
                    "available_translations": ["en"],
                    "runtime": 24,
                }
            )
        return body

    # ---------------------------------------------------------------- catalog routes

    def _find_show(self, key: str) -> _Show | None:
        """A show by Trakt id, slug or IMDb id, as `/shows/:id` accepts."""
        for show in self._shows.values():
            if key in (str(show.trakt_id), show.slug) or (show.imdb and key == show.imdb):
                return show
        return None

    def _search_id(self, ctx: _Ctx) -> Response:
        id_type, wanted = ctx.params["id_type"], ctx.params["id"]
        types_param = ctx.req.query.get("type") or ctx.req.query.get("id_type") or ""
        types = set(types_param.split(",")) - {""} or {"show", "movie", "episode"}
        results: list[dict[str, Any]] = []
        for show in self._shows.values():
            if "show" in types and _same_id(wanted, getattr_id(show, id_type)):
                results.append(
                    {"type": "show", "score": None, "show": self._show_json(show, ctx.extended)}
                )
        for movie in self._movies.values():
            if "movie" in types and _same_id(wanted, getattr_id(movie, id_type)):
                results.append(
                    {"type": "movie", "score": None, "movie": self._movie_json(movie, ctx.extended)}
                )
        for show in self._shows.values():
            for season in show.seasons.values():
                for episode in season.episodes:
                    if "episode" in types and _same_id(wanted, getattr_id(episode, id_type)):
                        results.append(
                            {
                                "type": "episode",
                                "score": None,
                                "episode": self._episode_json(episode, ctx.extended),
                                "show": self._show_json(show, ctx.extended),
                            }
                        )
        return _paginated(results, ctx.req.query, default_limit=10)

    def _search_text(self, ctx: _Ctx) -> Response:
        types = set(ctx.params["types"].split(","))
        if not types <= {"show", "movie", "episode", "person", "list"}:
            return _empty(404, f"unknown search type {ctx.params['types']}")
        words = ctx.req.query.get("query", "").lower().split()
        scored: list[tuple[float, dict[str, Any]]] = []
        candidates: list[tuple[str, str, Any]] = []
        if "show" in types:
            candidates += [("show", s.title, s) for s in self._shows.values()]
        if "movie" in types:
            candidates += [("movie", m.title, m) for m in self._movies.values()]
        for kind, title, item in candidates:
            lowered = title.lower()
            if not words or not all(word in lowered for word in words):
                continue
            score = round(1000.0 * len(" ".join(words)) / max(len(lowered), 1), 4)
            render = self._show_json if kind == "show" else self._movie_json
            scored.append((score, {"type": kind, "score": score, kind: render(item, ctx.extended)}))
        scored.sort(key=lambda pair: -pair[0])
        return _paginated([body for _, body in scored], ctx.req.query, default_limit=10)

    def _show_summary(self, ctx: _Ctx) -> Response:
        show = self._find_show(ctx.params["id"])
        if show is None:
            return _empty(404, f"no show {ctx.params['id']}")
        return JSONResponse(self._show_json(show, ctx.extended))

    def _movie_summary(self, ctx: _Ctx) -> Response:
        key = ctx.params["id"]
        for movie in self._movies.values():
            if key in (str(movie.trakt_id), movie.slug) or (movie.imdb and key == movie.imdb):
                return JSONResponse(self._movie_json(movie, ctx.extended))
        return _empty(404, f"no movie {key}")

    def _seasons(self, ctx: _Ctx) -> Response:
        show = self._find_show(ctx.params["id"])
        if show is None:
            return _empty(404, f"no show {ctx.params['id']}")
        seasons = [self._season_json(show.seasons[n], ctx.extended) for n in sorted(show.seasons)]
        return JSONResponse(seasons)

    def _season(self, ctx: _Ctx) -> Response:
        show = self._find_show(ctx.params["id"])
        season = show.seasons.get(int(ctx.params["n"])) if show else None
        if season is None:
            return _empty(404, f"no season {ctx.params['n']} of show {ctx.params['id']}")
        return JSONResponse([self._episode_json(ep, ctx.extended) for ep in season.episodes])
