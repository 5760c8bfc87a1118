"""The fake Trakt's history of one item: GET /sync/history/{shows,movies}/{id}.

Every play of that show's episodes (or of that movie), most recent first, paginated
(10 a page by default, `limit` up to 100): Trakt's contract (trakt/trakt-api
`contracts/sync/index.ts` history.get: "Specify a `type` and Trakt `id` to limit the
history for just that item", "📄 Pagination"; commit 586224b). Items follow the docs
examples `trakt.py/…/sync/history/shows.json` and `…/movies.json`: `{id, watched_at,
action, type, episode + show | movie}`; `id` is the play's history id (its place in
the fake's history), `action` is `watch` for a play added by POST /sync/history.
Play times are the minute Trakt keeps (`history`).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .answers import _Ctx, _empty, _paginated
from .state import TraktState

PAGE_LIMIT_MAX = 100


class ItemHistory(TraktState):
    """Per-item history reads of `FakeTrakt`."""

    def _item_history(self, ctx: _Ctx) -> Response:
        kind, raw_id = ctx.params["type"], ctx.params["id"]
        if not raw_id.isdigit():
            return _empty(404, f"no {kind} {raw_id}")
        trakt_id = int(raw_id)
        items: list[dict[str, Any]] = []
        if kind == "shows":
            show = self._shows.get(trakt_id)
            if show is None:
                return _empty(404, f"no show {trakt_id}")
            for history_id, play in enumerate(self.plays, start=1):
                if play.kind != "episode" or play.show_trakt_id != trakt_id:
                    continue
                assert play.season is not None
                assert play.number is not None
                episode = show.seasons[play.season].episode(play.number)
                assert episode is not None
                items.append(
                    {
                        "id": history_id,
                        "watched_at": play.watched_at,
                        "action": "watch",
                        "type": "episode",
                        "episode": self._episode_json(episode, ctx.extended),
                        "show": self._show_json(show, ctx.extended),
                    }
                )
        else:
            movie = self._movies.get(trakt_id)
            if movie is None:
                return _empty(404, f"no movie {trakt_id}")
            for history_id, play in enumerate(self.plays, start=1):
                if play.kind == "movie" and play.trakt_id == trakt_id:
                    items.append(
                        {
                            "id": history_id,
                            "watched_at": play.watched_at,
                            "action": "watch",
                            "type": "movie",
                            "movie": self._movie_json(movie, ctx.extended),
                        }
                    )
        items.sort(key=lambda item: (item["watched_at"], item["id"]), reverse=True)
        return _paginated(items, ctx.req.query, default_limit=10, max_limit=PAGE_LIMIT_MAX)
