"""The fake's answers to AniList's root fields, as plain data from the store.

`Viewer`, `User`, `Page { activities }`, `Page { media }` and `MediaListCollection`, with AniList's
documented limits and errors. Resolvers return dicts tagged with `__typename`, so the same
data serves graphql-core's execution and the schema-less fallback (`execution`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fakes.anilist.errors import Failure
from fakes.anilist.store import AniListStore, FakeActivity, FakeEntry, FakeUser

# docs/reference/query.md: "perPage … max 50", "perChunk … max 500".
MAX_PER_PAGE = 50
MAX_PER_CHUNK = 500
# docs/guide/graphql/queries/media-list.md: the 11,000 most recently updated entries.
COLLECTION_CAP = 11_000
STATUS_LIST_NAMES = {
    "CURRENT": "Watching",
    "PLANNING": "Planning",
    "COMPLETED": "Completed",
    "DROPPED": "Dropped",
    "PAUSED": "Paused",
    "REPEATING": "Rewatching",
}


@dataclass
class Context:
    """Who is asking: the token's user, or a token AniList would refuse."""

    viewer: FakeUser | None
    bad_token: bool


class Resolvers(AniListStore):
    """Root-field resolvers over the store; `_resolve` is the one entry point."""

    def _context(self, auth: str | None) -> Context:
        """The request's `Authorization` header, read as AniList does."""
        viewer, bad_token = None, False
        if auth is not None:
            scheme, _, token = auth.partition(" ")
            viewer = next((u for u in self.users.values() if u.token and u.token == token), None)
            bad_token = scheme.lower() != "bearer" or viewer is None
        return Context(viewer=viewer, bad_token=bad_token)

    def _resolve(
        self,
        name: str,
        args: dict[str, Any],
        child_args: dict[str, dict[str, Any]],
        context: Context,
    ) -> Any:
        if context.bad_token:
            raise Failure(400, "Invalid token")
        if name == "Viewer":
            if context.viewer is None:
                raise Failure(401, "Unauthorized.")
            return context.viewer.as_dict()
        if name == "User":
            return self._user(args).as_dict()
        if name == "Page":
            return self._page(args, child_args)
        if name == "MediaListCollection":
            return self._collection(args, context)
        raise Failure(400, f"fake AniList does not implement Query.{name}")

    def _user(self, args: dict[str, Any]) -> FakeUser:
        for user in self.users.values():
            if args.get("id") == user.id or (
                isinstance(args.get("name"), str)
                and args["name"].casefold() == user.name.casefold()
            ):
                return user
        raise Failure(404, "Not Found.")

    def _page(self, args: dict[str, Any], child_args: dict[str, dict[str, Any]]) -> dict[str, Any]:
        page = max(1, args.get("page") or 1)
        per_page = min(max(1, args.get("perPage") or MAX_PER_PAGE), MAX_PER_PAGE)
        if "media" in child_args:
            return self._media_page(child_args["media"], page, per_page)
        items: list[FakeActivity] = []
        if "activities" in child_args:
            items = self._filter_activities(child_args["activities"])
        start = (page - 1) * per_page
        return {
            "__typename": "Page",
            "pageInfo": _page_info(len(items), page, per_page),
            "activities": [self._activity(a) for a in items[start : start + per_page]],
        }

    def _media_page(self, args: dict[str, Any], page: int, per_page: int) -> dict[str, Any]:
        """`Page { media(id / id_in / type) }`, in id order (the filters anitrakt uses)."""
        wanted = set(args["id_in"]) if args.get("id_in") is not None else None
        if args.get("id") is not None:
            wanted = {args["id"]} if wanted is None else wanted & {args["id"]}
        items = [
            m
            for media_id, m in sorted(self.media.items())
            if (wanted is None or media_id in wanted)
            and (args.get("type") is None or m.get("type") == args["type"])
        ]
        start = (page - 1) * per_page
        return {
            "__typename": "Page",
            "pageInfo": _page_info(len(items), page, per_page),
            "media": items[start : start + per_page],
        }

    def _filter_activities(self, args: dict[str, Any]) -> list[FakeActivity]:
        kind = args.get("type")
        kinds = {"ANIME_LIST", "MANGA_LIST"} if kind == "MEDIA_LIST" else {kind}
        items = [
            a
            for a in self.activities
            if (args.get("userId") is None or a.user_id == args["userId"])
            and (kind is None or a.type in kinds)
            and (args.get("createdAt_greater") is None or a.created_at > args["createdAt_greater"])
            and (args.get("createdAt_lesser") is None or a.created_at < args["createdAt_lesser"])
        ]
        sort = args.get("sort") or ["ID_DESC"]
        sort = [sort] if isinstance(sort, str) else sort
        return sorted(items, key=lambda a: a.id, reverse=sort[0] != "ID")

    def _activity(self, activity: FakeActivity) -> dict[str, Any]:
        return {
            "__typename": "ListActivity",
            "id": activity.id,
            "userId": activity.user_id,
            "type": activity.type,
            "replyCount": 0,
            "likeCount": 0,
            "status": activity.status,
            "progress": activity.progress,
            "isLocked": False,
            "createdAt": activity.created_at,
            "siteUrl": f"https://anilist.co/activity/{activity.id}",
            "media": self.media[activity.media_id],
            "user": self.users[activity.user_id].as_dict()
            if activity.user_id in self.users
            else None,
        }

    def _collection(self, args: dict[str, Any], context: Context) -> dict[str, Any]:
        if args.get("userId") is None and args.get("userName") is None:
            raise Failure(400, "User id or name required")
        if args.get("type") is None:
            raise Failure(400, "Type argument required")
        user = self._user({"id": args.get("userId"), "name": args.get("userName")})
        wanted = set(args.get("status_in") or ()) | (
            {args["status"]} if args.get("status") else set()
        )
        owner = context.viewer is not None and context.viewer.id == user.id
        entries = [
            e
            for e in self.entries
            if e.user_id == user.id
            and args["type"] == "ANIME"
            and (not wanted or e.status in wanted)
            and (owner or not e.private)
        ]
        entries.sort(key=lambda e: (e.updated_at, e.id), reverse=True)
        entries = entries[:COLLECTION_CAP]
        chunk = args.get("chunk")
        has_next = False
        if chunk is not None:
            per_chunk = min(max(1, args.get("perChunk") or MAX_PER_CHUNK), MAX_PER_CHUNK)
            start = (max(1, chunk) - 1) * per_chunk
            has_next = len(entries) > start + per_chunk
            entries = entries[start : start + per_chunk]
        return {
            "__typename": "MediaListCollection",
            "user": user.as_dict(),
            "hasNextChunk": has_next,
            "lists": _groups(entries, self.media),
        }


def _page_info(total: int, page: int, per_page: int) -> dict[str, Any]:
    return {
        "__typename": "PageInfo",
        "total": total,
        "perPage": per_page,
        "currentPage": page,
        "lastPage": max(1, math.ceil(total / per_page)),
        "hasNextPage": total > page * per_page,
    }


def _entry(entry: FakeEntry, media: dict[int, dict[str, Any]]) -> dict[str, Any]:
    done = entry.completed_at
    return {
        "__typename": "MediaList",
        "id": entry.id,
        "userId": entry.user_id,
        "mediaId": entry.media_id,
        "status": entry.status,
        "score": entry.score,
        "progress": entry.progress,
        "repeat": entry.repeat,
        "private": entry.private,
        "notes": None,
        "hiddenFromStatusLists": entry.hidden_from_status_lists,
        "startedAt": {"__typename": "FuzzyDate", "year": None, "month": None, "day": None},
        "completedAt": {
            "__typename": "FuzzyDate",
            "year": done.year if done else None,
            "month": done.month if done else None,
            "day": done.day if done else None,
        },
        "updatedAt": entry.updated_at,
        "createdAt": entry.created_at,
        "media": media[entry.media_id],
    }


def _groups(entries: list[FakeEntry], media: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Split entries into status lists and custom lists, as AniList's `lists` does."""
    groups: dict[tuple[bool, str], list[dict[str, Any]]] = {}
    for entry in entries:
        if not entry.hidden_from_status_lists:
            groups.setdefault((False, entry.status), []).append(_entry(entry, media))
        for name in entry.custom_lists:
            groups.setdefault((True, name), []).append(_entry(entry, media))
    order = list(STATUS_LIST_NAMES)
    keys = sorted(groups, key=lambda k: (k[0], order.index(k[1]) if not k[0] else 0, k[1]))
    return [
        {
            "__typename": "MediaListGroup",
            "name": name if custom else STATUS_LIST_NAMES[name],
            "isCustomList": custom,
            "isSplitCompletedList": False,
            "status": None if custom else name,
            "entries": groups[(custom, name)],
        }
        for custom, name in keys
    ]
