"""What the fake Trakt reports back about an account's history and settings.

GET /sync/watched/{shows,movies} follow Trakt's 2026 change (per-episode `seasons` only
with `extended=progress`, always paginated), /sync/last_activities moves when history
does, and /users/settings answers for the fake user. Shapes follow traktkit's fixtures.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from starlette.responses import JSONResponse, Response

from .answers import _Ctx, _paginated
from .model import Play, slugify
from .state import TraktState


class WatchedState(TraktState):
    """Read side of `FakeTrakt`'s sync routes: watched shows and movies, last
    activities and user settings."""

    def _watched_shows(self, ctx: _Ctx) -> Response:
        per_show: dict[int, list[Play]] = {}
        for play in self.plays:
            if play.kind == "episode" and play.show_trakt_id is not None:
                per_show.setdefault(play.show_trakt_id, []).append(play)
        with_seasons = "noseasons" not in ctx.extended and (
            "progress" in ctx.extended or not self.watched_seasons_need_progress
        )
        items: list[dict[str, Any]] = []
        for show_id, plays in per_show.items():
            item: dict[str, Any] = {
                "plays": len(plays),
                "last_watched_at": _latest(p.watched_at for p in plays),
                "last_updated_at": max(p.added_at for p in plays),
                "reset_at": None,
                "show": self._show_json(self._shows[show_id], ctx.extended),
            }
            if with_seasons:
                item["seasons"] = _watched_seasons(plays)
            items.append(item)
        items.sort(key=lambda it: it["last_watched_at"] or "", reverse=True)
        return self._watched_page(items, ctx)

    def _watched_movies(self, ctx: _Ctx) -> Response:
        per_movie: dict[int, list[Play]] = {}
        for play in self.plays:
            if play.kind == "movie":
                per_movie.setdefault(play.trakt_id, []).append(play)
        items: list[dict[str, Any]] = [
            {
                "plays": len(plays),
                "last_watched_at": _latest(p.watched_at for p in plays),
                "last_updated_at": max(p.added_at for p in plays),
                "movie": self._movie_json(self._movies[movie_id], ctx.extended),
            }
            for movie_id, plays in per_movie.items()
        ]
        items.sort(key=lambda it: it["last_watched_at"] or "", reverse=True)
        return self._watched_page(items, ctx)

    def _watched_page(self, items: list[Any], ctx: _Ctx) -> Response:
        """/sync/watched/* pages are forced since 2026-06-30 (trakt/trakt-api discussion
        #775): 100 items by default, `limit` clamped to 250, and to 100 with
        extended=progress (jellyfin-plugin-trakt#298, PlexTraktSync#2518). A page listed
        in `lost_pages[path]` comes back empty with the true headers, as a flaky edge
        cache once answered."""
        cap = 100 if "progress" in ctx.extended else 250
        response = _paginated(items, ctx.req.query, default_limit=100, max_limit=cap)
        page = ctx.req.query.get("page", "1")
        if page.isdigit() and int(page) in self.lost_pages.get(ctx.req.path, set()):
            return JSONResponse([], headers=dict(response.headers))
        return response

    def _last_activities(self, ctx: _Ctx) -> Response:
        return JSONResponse(copy.deepcopy(self._activity))

    def _user_settings(self, ctx: _Ctx) -> Response:
        reported = self.watchlist_limit_reported
        watchlist = self.watchlist_limit if reported is None else reported
        return JSONResponse(_user_settings(self.username, self.vip, watchlist))


def _latest(values: Iterable[str]) -> str | None:
    dated = [v for v in values if v not in ("unknown", "released")]
    return max(dated) if dated else None


def _watched_seasons(plays: list[Play]) -> list[dict[str, Any]]:
    grouped: dict[int, dict[int, list[Play]]] = {}
    for play in plays:
        assert play.season is not None
        assert play.number is not None
        grouped.setdefault(play.season, {}).setdefault(play.number, []).append(play)
    return [
        {
            "number": season,
            "episodes": [
                {
                    "number": number,
                    "plays": len(eps),
                    "last_watched_at": _latest(p.watched_at for p in eps),
                }
                for number, eps in sorted(grouped[season].items())
            ],
        }
        for season in sorted(grouped)
    ]


def _initial_activities(at: str) -> dict[str, Any]:
    """GET /sync/last_activities, shaped like traktkit's current fixture."""
    return {
        "all": at,
        "movies": {
            "watched_at": at,
            "collected_at": at,
            "rated_at": at,
            "watchlisted_at": at,
            "favorited_at": at,
            "commented_at": at,
            "paused_at": at,
            "hidden_at": at,
        },
        "episodes": {
            "watched_at": at,
            "collected_at": at,
            "rated_at": at,
            "watchlisted_at": at,
            "commented_at": at,
            "paused_at": at,
        },
        "shows": {
            "rated_at": at,
            "watchlisted_at": at,
            "favorited_at": at,
            "commented_at": at,
            "hidden_at": at,
            "dropped_at": at,
        },
        "seasons": {"rated_at": at, "watchlisted_at": at, "commented_at": at, "hidden_at": at},
        "comments": {"liked_at": at, "blocked_at": at},
        "lists": {"liked_at": at, "updated_at": at, "commented_at": at},
        "watchlist": {"updated_at": at},
        "favorites": {"updated_at": at},
        "account": {
            "settings_at": at,
            "followed_at": at,
            "following_at": at,
            "pending_at": at,
            "requested_at": at,
        },
        "saved_filters": {"updated_at": at},
        "notes": {"updated_at": at},
    }


def _user_settings(username: str, vip: bool, watchlist_limit: int) -> dict[str, Any]:
    """GET /users/settings, shaped like traktkit's current fixture."""
    return {
        "user": {
            "username": username,
            "private": False,
            "name": username.title(),
            "vip": vip,
            "vip_ep": False,
            "ids": {"slug": slugify(username), "uuid": "0" * 40},
            "joined_at": "2020-01-01T00:00:00.000Z",
            "location": None,
            "about": None,
            "gender": None,
            "age": None,
            "images": {"avatar": {"full": "https://example.invalid/avatar.png"}},
            "vip_og": False,
            "vip_years": 0,
        },
        "account": {
            "timezone": "UTC",
            "date_format": "ymd",
            "time_24hr": True,
            "cover_image": None,
        },
        "connections": {
            "facebook": False,
            "twitter": False,
            "mastodon": False,
            "google": False,
            "tumblr": False,
            "medium": False,
            "slack": False,
            "apple": False,
            "dropbox": False,
            "microsoft": False,
        },
        "sharing_text": {
            "watching": "I'm watching [item]",
            "watched": "I just watched [item]",
            "rated": "[item] [stars]",
        },
        "limits": {
            "list": {"count": 2, "item_count": 100},
            "watchlist": {"item_count": watchlist_limit},
            "favorites": {"item_count": 100},
            "search": {"recent_count": 5},
            "collection": {"item_count": 100},
            "notes": {"item_count": 100},
        },
    }
