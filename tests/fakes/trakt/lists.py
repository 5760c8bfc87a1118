"""The fake Trakt's watchlist: GET /sync/watchlist[/type], POST /sync/watchlist[/remove].

Where the shapes come from:
- GET items `{rank, id, listed_at, notes, type, show | movie}`: pytrakt's docs example
  (`sync.json` "sync/watchlist/shows", "…/movies": `listed_at`, `type` and the media) and
  Trakt's contract (trakt/trakt-api `contracts/sync/index.ts` watchlist.get,
  `syncListItemResponseSchema` with `rank` and `id`; commit 586224b). "Pagination
  Optional": every item unless `page`/`limit` is sent; X-Pagination-* headers always.
- POST answers: `{added, existing, not_found, list: {updated_at, item_count}}` (201) and
  `{deleted, not_found, list}` (200), the counts `{movies, shows, seasons, episodes}`:
  pytrakt `sync.json` "sync/watchlist" POST / "sync/watchlist/remove" POST and the
  contract's `listAddResponseSchema` / `listRemoveResponseSchema` (which add `list`).
- The cap: "If the user's watchlist limit is exceeded, a 420 HTTP error code is
  returned" (the contract's watchlist.add). `watchlist_limit` is enforced — a post that
  would pass it is a 420 with X-Account-Limit / X-VIP-User and applies nothing — and
  reported by /users/settings `limits.watchlist.item_count` (100 in traktkit's current
  fixture), unless `watchlist_limit_reported` says otherwise (an account whose settings
  and enforcement disagree).

Deliberate difference: only shows and movies are listed (anitrakt never lists seasons
or episodes); seasons and episodes sent are reported in `not_found`.
"""

from __future__ import annotations

from typing import Any, Literal

from starlette.responses import JSONResponse, Response

from .answers import _Ctx, _empty, _paginated
from .model import _Listed, iso_utc
from .state import TraktState

_TYPES = {"movies": "movie", "shows": "show"}


def _counts(movies: int = 0, shows: int = 0) -> dict[str, int]:
    return {"movies": movies, "shows": shows, "seasons": 0, "episodes": 0}


class SyncWatchlist(TraktState):
    """Watchlist part of `FakeTrakt`: `watchlist`, `add_to_watchlist`, and the routes."""

    @property
    def watchlist(self) -> list[tuple[str, int]]:
        """Every listed item as (kind, Trakt id), in the order listed."""
        with self._lock:
            return [(item.kind, item.trakt_id) for item in self._watchlist]

    def add_to_watchlist(self, kind: Literal["show", "movie"], trakt_id: int) -> None:
        """Seed an item the person listed on Trakt before the test."""
        with self._lock:
            self._list(kind, trakt_id)

    def _list(self, kind: Literal["show", "movie"], trakt_id: int) -> None:
        self._next_list_item_id += 1
        listed = _Listed(kind, trakt_id, iso_utc(self.clock()), self._next_list_item_id)
        self._watchlist.append(listed)

    def _listed_json(self, item: _Listed, rank: int, ctx: _Ctx) -> dict[str, Any]:
        media = (
            self._movie_json(self._movies[item.trakt_id], ctx.extended)
            if item.kind == "movie"
            else self._show_json(self._shows[item.trakt_id], ctx.extended)
        )
        return {
            "rank": rank,
            "id": item.id,
            "listed_at": item.listed_at,
            "notes": None,
            "type": item.kind,
            item.kind: media,
        }

    # ------------------------------------------------------------------------ routes

    def _get_watchlist(self, ctx: _Ctx) -> Response:
        wanted = _TYPES.get(ctx.params.get("type", ""))
        items = [
            self._listed_json(item, rank, ctx)
            for rank, item in enumerate(self._watchlist, start=1)
            if wanted is None or item.kind == wanted
        ]
        query = ctx.req.query
        if "page" not in query and "limit" not in query:
            query = {**query, "limit": str(max(len(items), 1))}
        return _paginated(items, query, default_limit=10)

    def _matched(self, body: Any) -> tuple[list[tuple[Literal["show", "movie"], int]], Any]:
        found: list[tuple[Literal["show", "movie"], int]] = []
        not_found: dict[str, list[Any]] = {"movies": [], "shows": [], "seasons": [], "episodes": []}
        for key, kind in (("movies", "movie"), ("shows", "show")):
            for item in body.get(key) or []:
                match = (
                    self._match_movie(item)  # type: ignore[attr-defined]
                    if kind == "movie"
                    else self._match_show(item)  # type: ignore[attr-defined]
                )
                if match is None:
                    not_found[key].append(item)
                else:
                    found.append((kind, match.trakt_id))  # type: ignore[arg-type]
        not_found["seasons"].extend(body.get("seasons") or [])
        not_found["episodes"].extend(body.get("episodes") or [])
        return found, not_found

    def _post_watchlist(self, ctx: _Ctx) -> Response:
        body = ctx.req.json
        if not isinstance(body, dict):
            return _empty(400, "request body is not a JSON object")
        found, not_found = self._matched(body)
        listed = {(item.kind, item.trakt_id) for item in self._watchlist}
        new = list(dict.fromkeys(f for f in found if f not in listed))
        if len(self._watchlist) + len(new) > self.watchlist_limit:
            self.over_limit_posts += 1
            headers = {
                "X-Account-Limit": str(self.watchlist_limit),
                "X-VIP-User": "true" if self.vip else "false",
                "X-Upgrade-URL": "https://trakt.tv/vip",
            }
            return _empty(420, "watchlist limit exceeded", headers)
        for kind, trakt_id in new:
            self._list(kind, trakt_id)
        existing = [f for f in found if f in listed]
        answer = {
            "added": _counts(*_split(new)),
            "existing": _counts(*_split(existing)),
            "not_found": not_found,
            "list": self._list_state(bool(new)),
        }
        return JSONResponse(answer, status_code=201)

    def _remove_watchlist(self, ctx: _Ctx) -> Response:
        body = ctx.req.json
        if not isinstance(body, dict):
            return _empty(400, "request body is not a JSON object")
        found, not_found = self._matched(body)
        gone = set(found)
        kept = [i for i in self._watchlist if (i.kind, i.trakt_id) not in gone]
        removed = [(i.kind, i.trakt_id) for i in self._watchlist if (i.kind, i.trakt_id) in gone]
        self._watchlist = kept
        answer = {
            "deleted": _counts(*_split(removed)),
            "not_found": not_found,
            "list": self._list_state(bool(removed)),
        }
        return JSONResponse(answer)

    def _list_state(self, changed: bool) -> dict[str, Any]:
        now = iso_utc(self.clock())
        if changed:
            self._activity["watchlist"]["updated_at"] = now
        return {
            "updated_at": self._activity["watchlist"]["updated_at"],
            "item_count": len(self._watchlist),
        }


def _split(items: list[tuple[str, int]]) -> tuple[int, int]:
    return sum(1 for k, _ in items if k == "movie"), sum(1 for k, _ in items if k == "show")
