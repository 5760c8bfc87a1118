"""The fake Trakt's dropped shows: GET /users/hidden/dropped, POST …/dropped[/remove].

Trakt's "drop" (2025: "Goodbye hide, hello drop", forums.trakt.tv) is the hidden section
`dropped`, which holds shows only. Where the shapes come from — no client suite has
recorded these, so Trakt's own contract is the source (trakt/trakt-api
`projects/api/src/contracts/users/subroutes/hidden.ts` and its schemas, commit 586224b):
- GET (hidden.dropped, "📄 Pagination", 10 a page by default): items
  `hiddenShowResponseSchema` = `{hidden_at, type: "show", show}`.
- POST /users/hidden/dropped (hidden.add, 200): `hiddenAddResponseSchema` =
  `{added: {movies, shows, season}, not_found: {movies, shows, seasons, episodes}}` —
  `season`, singular, as the schema spells it.
- POST /users/hidden/dropped/remove (hidden.remove.section, 200):
  `hiddenRemoveResponseSchema` = `{deleted: {movies, episodes}, not_found: {…}}`; the
  schema counts no shows, so an un-dropped show shows in neither count (both 0 here).
A movie (or season, episode) sent to `dropped` is not hideable there ("Hideable Media
Objects": `dropped` → `show`) and is listed in `not_found`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from .answers import _Ctx, _empty, _paginated
from .model import iso_utc
from .state import TraktState


class HiddenDropped(TraktState):
    """Dropped part of `FakeTrakt`: `dropped_shows`, `drop_show`, and the routes."""

    @property
    def dropped_shows(self) -> set[int]:
        with self._lock:
            return set(self._dropped)

    def drop_show(self, trakt_id: int) -> None:
        """Seed a show the person dropped on Trakt before the test."""
        with self._lock:
            self._dropped[trakt_id] = iso_utc(self.clock())

    def _matched_shows(self, body: dict[str, Any]) -> tuple[list[int], dict[str, list[Any]]]:
        found: list[int] = []
        not_found: dict[str, list[Any]] = {"movies": [], "shows": [], "seasons": [], "episodes": []}
        for item in body.get("shows") or []:
            show = self._match_show(item)  # type: ignore[attr-defined]
            if show is None:
                not_found["shows"].append(item)
            else:
                found.append(show.trakt_id)
        for key in ("movies", "seasons", "episodes"):
            not_found[key].extend(body.get(key) or [])
        return found, not_found

    # ------------------------------------------------------------------------ routes

    def _get_dropped(self, ctx: _Ctx) -> Response:
        items = [
            {"hidden_at": at, "type": "show", "show": self._show_json(self._shows[i], ctx.extended)}
            for i, at in self._dropped.items()
        ]
        return _paginated(items, ctx.req.query, default_limit=10)

    def _drop(self, ctx: _Ctx) -> Response:
        body = ctx.req.json
        if not isinstance(body, dict):
            return _empty(400, "request body is not a JSON object")
        found, not_found = self._matched_shows(body)
        new = [i for i in dict.fromkeys(found) if i not in self._dropped]
        for trakt_id in new:
            self._dropped[trakt_id] = iso_utc(self.clock())
        if new:
            self._activity["shows"]["dropped_at"] = iso_utc(self.clock())
        added = {"movies": 0, "shows": len(new), "season": 0}
        return JSONResponse({"added": added, "not_found": not_found})

    def _undrop(self, ctx: _Ctx) -> Response:
        body = ctx.req.json
        if not isinstance(body, dict):
            return _empty(400, "request body is not a JSON object")
        found, not_found = self._matched_shows(body)
        for trakt_id in found:
            self._dropped.pop(trakt_id, None)
        return JSONResponse({"deleted": {"movies": 0, "episodes": 0}, "not_found": not_found})
