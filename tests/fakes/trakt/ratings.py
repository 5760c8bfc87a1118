"""The fake Trakt's ratings: GET /sync/ratings[/type] and POST /sync/ratings.

Where the shapes come from:
- GET items `{rated_at, rating, type, movie | show | season + show}`: the docs examples
  `trakt.py/…/sync/ratings.json` and `…/sync/ratings/{shows,seasons}.json` and
  `traktkit/Sync/test_get_ratings.json` (held to them in
  tests/contract/test_fake_trakt_extras_contract.py); Trakt's contract (trakt/trakt-api
  `contracts/sync/index.ts`, ratings.get, commit 586224b) marks them "Pagination
  Optional": every item unless `page`/`limit` is sent, X-Pagination-* headers always.
- POST answer `{added: {movies, shows, seasons, episodes}, not_found: {…}}` with 201:
  `traktkit/Sync/test_add_new_ratings.json`, pytrakt `sync.json` "sync/ratings" POST
  and the contract's `ratingsSyncResponseSchema`. A show sent with `seasons` rates those
  seasons ("If seasons are specified, all of those seasons will be rated"), each with the
  `rating` and `rated_at` of its season object, else of its show object; a season the
  show lacks goes to `not_found.seasons` as its show with that one season (as the
  history post does). `rating` must be an integer 1–10 (the contract's
  `mediaRatingSchema`): otherwise 422 and nothing is applied.
- The 2026 cap (10,000 ratings, 20,000 VIP) is `ratings_limit`: a post that would pass
  it is a 420 with X-Account-Limit / X-VIP-User and applies nothing (the apiary intro,
  "VIP Methods").

Deliberate difference: episodes are not rated (anitrakt never rates one); an episode
sent is listed in `not_found.episodes`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from .answers import _Ctx, _empty, _paginated
from .model import _same_id, iso_utc
from .state import TraktState

RatingKey = tuple[str, int, int | None]
RATINGS_LIMIT, RATINGS_LIMIT_VIP = 10_000, 20_000
_TYPES = {"movies": "movie", "shows": "show", "seasons": "season"}


class _Invalid(Exception):
    pass


def instant(value: Any, default: str) -> str:
    """A posted UTC datetime in Trakt's format (seconds kept), `default` when absent."""
    if value is None:
        return default
    if not isinstance(value, str):
        raise _Invalid(f"{value!r} is not a datetime")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{value!r} is not a datetime") from None
    return iso_utc((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


def items_of(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Invalid("expected an array of objects")
    return value


def accepts_ids(value: Any) -> bool:
    return isinstance(value, dict) and bool(value)


class SyncRatings(TraktState):
    """Ratings part of `FakeTrakt`: `ratings`, `add_rating`, and the routes."""

    @property
    def ratings(self) -> dict[RatingKey, int]:
        """Every rating: ("show", id, None), ("season", show id, number), ("movie", id, None)."""
        with self._lock:
            return {key: rating for key, (rating, _) in self._ratings.items()}

    def add_rating(
        self,
        kind: str,
        trakt_id: int,
        rating: int,
        *,
        season: int | None = None,
        rated_at: str = "2020-01-01T00:00:00.000Z",
    ) -> None:
        """Seed a rating the person gave on Trakt before the test."""
        with self._lock:
            self._ratings[(kind, trakt_id, season)] = (rating, rated_at)

    def _ratings_cap(self) -> int:
        if self.ratings_limit is not None:
            return self.ratings_limit
        return RATINGS_LIMIT_VIP if self.vip else RATINGS_LIMIT

    # ------------------------------------------------------------------------ routes

    def _get_ratings(self, ctx: _Ctx) -> Response:
        wanted = _TYPES.get(ctx.params.get("type", ""))
        items = []
        for (kind, trakt_id, season), (rating, rated_at) in self._ratings.items():
            if wanted is not None and kind != wanted:
                continue
            item: dict[str, Any] = {"rated_at": rated_at, "rating": rating, "type": kind}
            if kind == "movie":
                item["movie"] = self._movie_json(self._movies[trakt_id], ctx.extended)
            else:
                show = self._shows[trakt_id]
                if kind == "season" and season is not None:
                    item["season"] = {
                        "number": season,
                        "ids": {"trakt": show.seasons[season].trakt_id, "tvdb": None, "tmdb": None},
                    }
                item["show"] = self._show_json(show, ctx.extended)
            items.append(item)
        items.sort(key=lambda it: it["rated_at"], reverse=True)
        query = ctx.req.query
        if "page" not in query and "limit" not in query:
            query = {**query, "limit": str(max(len(items), 1))}
        return _paginated(items, query, default_limit=10)

    def _post_ratings(self, ctx: _Ctx) -> Response:
        body = ctx.req.json
        if not isinstance(body, dict):
            return _empty(400, "request body is not a JSON object")
        try:
            pending, not_found = self._plan_ratings(body, iso_utc(self.clock()))
        except _Invalid as exc:
            return _empty(422, str(exc))
        new = {key for key, _ in pending} - set(self._ratings)
        if len(self._ratings) + len(new) > self._ratings_cap():
            self.over_limit_posts += 1
            headers = {
                "X-Account-Limit": str(self._ratings_cap()),
                "X-VIP-User": "true" if self.vip else "false",
                "X-Upgrade-URL": "https://trakt.tv/vip",
            }
            return _empty(420, "ratings limit exceeded", headers)
        added = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
        for key, value in pending:
            self._ratings[key] = value
            added[f"{key[0]}s"] += 1
        if pending:
            for kind in {f"{key[0]}s" for key, _ in pending}:
                self._activity[kind]["rated_at"] = iso_utc(self.clock())
        return JSONResponse({"added": added, "not_found": not_found}, status_code=201)

    def _plan_ratings(
        self, body: dict[str, Any], now: str
    ) -> tuple[list[tuple[RatingKey, tuple[int, str]]], dict[str, list[Any]]]:
        pending: list[tuple[RatingKey, tuple[int, str]]] = []
        not_found: dict[str, list[Any]] = {"movies": [], "shows": [], "seasons": [], "episodes": []}

        def rated(*levels: dict[str, Any]) -> tuple[int, str]:
            rating = next((lv["rating"] for lv in levels if "rating" in lv), None)
            if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 10:
                raise _Invalid(f"rating {rating!r} is not an integer from 1 to 10")
            at = next((lv["rated_at"] for lv in levels if lv.get("rated_at") is not None), None)
            return rating, instant(at, now)

        for item in items_of(body.get("movies")):
            movie = self._match_movie(item)  # type: ignore[attr-defined]
            if movie is None:
                not_found["movies"].append(item)
            else:
                pending.append((("movie", movie.trakt_id, None), rated(item)))
        for item in items_of(body.get("shows")):
            show = self._match_show(item)  # type: ignore[attr-defined]
            if show is None:
                not_found["shows"].append(item)
                continue
            seasons = items_of(item.get("seasons"))
            if not seasons:
                pending.append((("show", show.trakt_id, None), rated(item)))
            for season_item in seasons:
                number = season_item.get("number")
                if not isinstance(number, int) or number not in show.seasons:
                    rest = {k: v for k, v in item.items() if k != "seasons"}
                    not_found["seasons"].append({**rest, "seasons": [season_item]})
                else:
                    key = ("season", show.trakt_id, number)
                    pending.append((key, rated(season_item, item)))
        for item in items_of(body.get("seasons")):
            found = None
            ids = item.get("ids")
            for show in self._shows.values():
                for season in show.seasons.values():
                    if accepts_ids(ids) and _same_id(ids.get("trakt"), season.trakt_id):
                        found = (show.trakt_id, season.number)
            if found is None:
                not_found["seasons"].append(item)
            else:
                pending.append((("season", found[0], found[1]), rated(item)))
        not_found["episodes"].extend(items_of(body.get("episodes")))
        return pending, not_found
