"""A stateful fake of AniList's GraphQL API that checks queries against the REAL schema.

Every POSTed document is parsed, validated and executed by graphql-core against
`schema.graphqls` from the shared upstream data (introspected from graphql.anilist.co; see
PROVENANCE.md), so a query AniList would reject is rejected here too, with AniList's body
shape `{"data": null, "errors": [{"message", "status", "locations"}]}` and HTTP 400.
Resolvers answer from in-memory users, media, list entries and list activities.

Also imitated (docs/guide/*.md): `X-RateLimit-Limit`/`-Remaining` on every answer and a
429 with `Retry-After`/`X-RateLimit-Reset` past the limit (on an injectable clock); the
"Invalid token" 400; `Unauthorized.` for `Viewer` without a token; `perPage` ≤ 50,
`perChunk` ≤ 500, the 11,000-entry collection cap; and scripted faults (`fail_next`).

When the shared data is absent the fake still answers, executing the same resolvers
without validation, and says so once on stderr. The schema is never copied into the repo.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import get_argument_values
from graphql.utilities import value_from_ast_untyped
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anitrakt.clients.timing import Clock, SystemClock

from .transport import FAULT_HEADER

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SCHEMA_PATH = SHARED_DATA / "upstream" / "anilist" / "schema.graphqls"

# docs/guide/rate-limiting.md: 90 requests per minute, headers on every response.
NOMINAL_LIMIT = 90
RATE_WINDOW_SECONDS = 60.0
# docs/reference/query.md: "perPage … max 50", "perChunk … max 500".
MAX_PER_PAGE = 50
MAX_PER_CHUNK = 500
# docs/guide/graphql/queries/media-list.md: the 11,000 most recently updated entries.
COLLECTION_CAP = 11_000
# docs/guide/considerations.md, "Example API unavailable error".
API_DISABLED_MESSAGE = (
    "The AniList API has been temporarily disabled due to severe stability issues. "
    "Please check the official AniList Discord for more information."
)
STATUS_LIST_NAMES = {
    "CURRENT": "Watching",
    "PLANNING": "Planning",
    "COMPLETED": "Completed",
    "DROPPED": "Dropped",
    "PAUSED": "Paused",
    "REPEATING": "Rewatching",
}

_QUOTED_NAME = re.compile(r"'([_A-Za-z$][_0-9A-Za-z!\[\]$]*)'")
_notice_printed = False


@functools.cache
def load_schema(path: Path = SCHEMA_PATH) -> GraphQLSchema | None:
    """The real AniList schema, or None when the shared data is not checked out."""
    if not path.is_file():
        return None
    return build_schema(path.read_text(encoding="utf-8"))


def _notice_unvalidated() -> None:
    global _notice_printed
    if not _notice_printed:
        _notice_printed = True
        print(
            "fake AniList: ../shared/data absent, queries are not validated against the "
            "real schema",
            file=sys.stderr,
        )


class FaultKind(StrEnum):
    RATE_LIMITED = "rate_limited"  # 429 + Retry-After + X-RateLimit-Reset (docs example)
    RATE_LIMITED_BARE = "rate_limited_bare"  # 429 JSON without Retry-After
    HTML = "html"  # an HTML error page from the proxy (status: 429, 502, …)
    SERVER_ERROR = "server_error"  # 5xx with a GraphQL error body
    API_DISABLED = "api_disabled"  # 403, considerations.md body
    GRAPHQL_ERROR = "graphql_error"  # an `errors` array at any HTTP status (200 too)
    TIMEOUT = "timeout"  # no answer: transport ReadTimeout in-process


@dataclass
class Fault:
    kind: FaultKind
    times: int
    status: int | None = None
    retry_after: int = 30
    message: str | None = None
    delay: float = 0.0


@dataclass
class FakeUser:
    id: int
    name: str
    token: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"__typename": "User", "id": self.id, "name": self.name}


@dataclass
class FakeEntry:
    id: int
    user_id: int
    media_id: int
    status: str
    progress: int
    score: float
    repeat: int
    completed_at: date | None
    updated_at: int
    custom_lists: tuple[str, ...] = ()
    hidden_from_status_lists: bool = False
    private: bool = False


@dataclass
class FakeActivity:
    id: int
    user_id: int
    media_id: int
    status: str
    progress: str | None
    created_at: int
    type: str = "ANIME_LIST"


@dataclass
class RecordedRequest:
    query: str
    variables: dict[str, Any]
    authorized: bool  # an Authorization header was sent
    at: float  # the fake's clock when it arrived
    status: int = 0


class _Failure(Exception):
    """An AniList-style error raised by a resolver: HTTP status + message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Context:
    viewer: FakeUser | None
    bad_token: bool


class FakeAniList:
    """The fake; an ASGI app (`SyncASGITransport(fake)` or `serve_in_thread(fake)`)."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        rate_limit: int = NOMINAL_LIMIT,
        schema_path: Path = SCHEMA_PATH,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.rate_limit = rate_limit
        # AniList documents X-RateLimit-Reset on 429s only; tests may ask for it earlier.
        self.reset_header_when_exhausted = False
        self.schema = load_schema(schema_path)
        self.users: dict[int, FakeUser] = {}
        self.media: dict[int, dict[str, Any]] = {}
        self.entries: list[FakeEntry] = []
        self.activities: list[FakeActivity] = []
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._window_start: float | None = None
        self._window_count = 0
        self._next_id = 1000
        self._next_created = 1_700_000_000
        self._app = Starlette(routes=[Route("/", self._handle, methods=["POST"])])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._app(scope, receive, send)

    # -- factories -------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_user(self, name: str = "alice", *, token: str | None = None) -> FakeUser:
        user = FakeUser(id=self._new_id(), name=name, token=token)
        self.users[user.id] = user
        return user

    def add_media(
        self,
        media_id: int = 1,
        *,
        title_romaji: str | None = None,
        title_english: str | None = None,
        episodes: int | None = 12,
        format: str = "TV",
    ) -> int:
        romaji = title_romaji or f"Anime {media_id}"
        self.media[media_id] = {
            "__typename": "Media",
            "id": media_id,
            "episodes": episodes,
            "format": format,
            "title": {
                "__typename": "MediaTitle",
                "romaji": romaji,
                "english": title_english,
                "native": None,
                "userPreferred": romaji,
            },
        }
        return media_id

    def add_entry(
        self,
        user_id: int,
        media_id: int = 1,
        *,
        progress: int = 3,
        status: str = "CURRENT",
        score: float = 0.0,
        repeat: int = 0,
        completed_at: date | None = None,
        updated_at: int | None = None,
        custom_lists: tuple[str, ...] = (),
        hidden_from_status_lists: bool = False,
        private: bool = False,
    ) -> FakeEntry:
        if media_id not in self.media:
            self.add_media(media_id)
        self._next_created += 60
        entry = FakeEntry(
            id=self._new_id(),
            user_id=user_id,
            media_id=media_id,
            status=status,
            progress=progress,
            score=score,
            repeat=repeat,
            completed_at=completed_at,
            updated_at=updated_at if updated_at is not None else self._next_created,
            custom_lists=custom_lists,
            hidden_from_status_lists=hidden_from_status_lists,
            private=private,
        )
        self.entries.append(entry)
        return entry

    def add_activity(
        self,
        user_id: int,
        media_id: int = 1,
        *,
        status: str = "watched episode",
        progress: str | None = "4 - 6",
        created_at: int | None = None,
        type: str = "ANIME_LIST",
    ) -> FakeActivity:
        if media_id not in self.media:
            self.add_media(media_id)
        self._next_created += 60
        activity = FakeActivity(
            id=self._new_id(),
            user_id=user_id,
            media_id=media_id,
            status=status,
            progress=progress,
            created_at=created_at if created_at is not None else self._next_created,
            type=type,
        )
        self.activities.append(activity)
        return activity

    def fail_next(
        self,
        kind: FaultKind | str,
        *,
        times: int = 1,
        status: int | None = None,
        retry_after: int = 30,
        message: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests with a fault instead of executing them."""
        fault = Fault(FaultKind(kind), times, status, retry_after, message, delay)
        with self._lock:
            self._faults.append(fault)

    # -- HTTP ------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _error_response(400, [{"message": "Must provide query string.", "status": 400}])
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return _error_response(
                400, [{"message": "Variables must be an object.", "status": 400}]
            )
        auth = request.headers.get("authorization")
        record = RecordedRequest(
            payload["query"], dict(variables), auth is not None, self.clock.time()
        )
        with self._lock:
            self.requests.append(record)
            fault = self._take_fault()
        if fault is not None and fault.kind is FaultKind.TIMEOUT:
            await asyncio.sleep(fault.delay)
            response: Response = Response(status_code=200, headers={FAULT_HEADER: "ReadTimeout"})
        else:
            with self._lock:
                if fault is not None:
                    response = self._fault_response(fault)
                else:
                    response = self._answer(payload["query"], variables, auth)
        record.status = response.status_code
        return response

    def _take_fault(self) -> Fault | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        fault.times -= 1
        if fault.times <= 0:
            self._faults.pop(0)
        return fault

    def _count_request(self) -> tuple[dict[str, str], bool]:
        """Rate-limit headers for this request, and whether it is over the limit."""
        now = self.clock.time()
        if self._window_start is None or now >= self._window_start + RATE_WINDOW_SECONDS:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        reset = math.ceil(self._window_start + RATE_WINDOW_SECONDS)
        remaining = max(0, self.rate_limit - self._window_count)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(remaining),
        }
        over = self._window_count > self.rate_limit
        if over:
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
        if over or (remaining == 0 and self.reset_header_when_exhausted):
            headers["X-RateLimit-Reset"] = str(reset)
        return headers, over

    def _fault_response(self, fault: Fault) -> Response:
        now = self.clock.time()
        limit_headers = {"X-RateLimit-Limit": str(self.rate_limit)}
        if fault.kind is FaultKind.RATE_LIMITED:
            headers = {
                **limit_headers,
                "X-RateLimit-Remaining": "0",
                "Retry-After": str(fault.retry_after),
                "X-RateLimit-Reset": str(math.ceil(now + fault.retry_after)),
            }
            return _error_response(429, [_too_many()], headers)
        if fault.kind is FaultKind.RATE_LIMITED_BARE:
            headers, _ = self._count_request()
            return _error_response(429, [_too_many()], headers)
        if fault.kind is FaultKind.HTML:
            status = fault.status or 429
            page = (
                f"<!DOCTYPE html><html><head><title>{status} Error</title></head><body>"
                f"<center><h1>{status} Error</h1></center><hr><center>cloudflare</center>"
                "</body></html>"
            )
            return Response(page, status_code=status, media_type="text/html")
        if fault.kind is FaultKind.SERVER_ERROR:
            status = fault.status or 500
            error = {"message": fault.message or "Internal Server Error", "status": status}
            return _error_response(status, [error], limit_headers)
        if fault.kind is FaultKind.API_DISABLED:
            error = {
                "message": API_DISABLED_MESSAGE,
                "status": 403,
                "locations": [{"line": 1, "column": 1}],
            }
            return _error_response(403, [error])
        status = fault.status or 200
        error = {"message": fault.message or "Internal Server Error", "status": status}
        return _error_response(status, [error], limit_headers)

    # -- GraphQL ---------------------------------------------------------------------

    def _answer(self, query: str, variables: dict[str, Any], auth: str | None) -> Response:
        headers, over = self._count_request()
        if over:
            return _error_response(429, [_too_many()], headers)
        viewer, bad_token = None, False
        if auth is not None:
            scheme, _, token = auth.partition(" ")
            viewer = next((u for u in self.users.values() if u.token and u.token == token), None)
            bad_token = scheme.lower() != "bearer" or viewer is None
        context = _Context(viewer=viewer, bad_token=bad_token)
        try:
            document = parse(query)
        except GraphQLError as exc:
            return _error_response(400, [_format(exc, 400)], headers)
        if self.schema is not None:
            problems = validate(self.schema, document)
            if problems:
                return _error_response(400, [_format(e, 400) for e in problems], headers)
            root = {
                name: self._typed_resolver(name, context) for name in self.schema.query_type.fields
            }
            result = execute_sync(self.schema, document, root, variable_values=variables)
            data, errors = result.data, list(result.errors or [])
        else:
            _notice_unvalidated()
            data, errors = self._execute_untyped(document, variables, context)
        if not errors:
            return JSONResponse({"data": data}, headers=headers)
        status = 400
        for error in errors:
            if isinstance(error.original_error, _Failure):
                status = error.original_error.status
                break
            if not isinstance(error.original_error, GraphQLError | None):
                status = 500  # a bug in the fake: make it loud
        formatted = [_format(e, status) for e in errors]
        return JSONResponse({"data": data, "errors": formatted}, status, headers=headers)

    def _typed_resolver(self, name: str, context: _Context) -> Callable[..., Any]:
        def resolve(info: Any, **args: Any) -> Any:
            child_args: dict[str, dict[str, Any]] = {}
            object_type = get_named_type(info.return_type)
            fields = getattr(object_type, "fields", {})
            for node in info.field_nodes:
                for sel in node.selection_set.selections if node.selection_set else ():
                    if isinstance(sel, FieldNode) and sel.name.value in fields:
                        child_args[sel.name.value] = get_argument_values(
                            fields[sel.name.value], sel, info.variable_values
                        )
            return self._resolve(name, args, child_args, context)

        return resolve

    def _execute_untyped(
        self, document: DocumentNode, variables: dict[str, Any], context: _Context
    ) -> tuple[dict[str, Any], list[GraphQLError]]:
        """Run the resolvers straight from the AST (no schema: no validation, no coercion)."""
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        values = {
            v.variable.name.value: value_from_ast_untyped(v.default_value)
            for v in operation.variable_definitions or ()
            if v.default_value is not None
        }
        values.update(variables)
        data: dict[str, Any] = {}
        errors: list[GraphQLError] = []
        for sel in operation.selection_set.selections:
            if not isinstance(sel, FieldNode):
                continue
            key = sel.alias.value if sel.alias else sel.name.value
            args = {
                a.name.value: value_from_ast_untyped(a.value, values) for a in sel.arguments or ()
            }
            child_args = {
                child.name.value: {
                    a.name.value: value_from_ast_untyped(a.value, values)
                    for a in child.arguments or ()
                }
                for child in (sel.selection_set.selections if sel.selection_set else ())
                if isinstance(child, FieldNode)
            }
            try:
                value = self._resolve(sel.name.value, args, child_args, context)
            except _Failure as failure:
                errors.append(GraphQLError(failure.message, sel, original_error=failure))
                data[key] = None
                continue
            data[key] = _project(value, sel.selection_set, fragments)
        return data, errors

    # -- resolvers (plain data) --------------------------------------------------------

    def _resolve(
        self,
        name: str,
        args: dict[str, Any],
        child_args: dict[str, dict[str, Any]],
        context: _Context,
    ) -> Any:
        if context.bad_token:
            raise _Failure(400, "Invalid token")
        if name == "Viewer":
            if context.viewer is None:
                raise _Failure(401, "Unauthorized.")
            return context.viewer.as_dict()
        if name == "User":
            return self._user(args).as_dict()
        if name == "Page":
            return self._page(args, child_args)
        if name == "MediaListCollection":
            return self._collection(args, context)
        raise _Failure(400, f"fake AniList does not implement Query.{name}")

    def _user(self, args: dict[str, Any]) -> FakeUser:
        for user in self.users.values():
            if args.get("id") == user.id or (
                isinstance(args.get("name"), str)
                and args["name"].casefold() == user.name.casefold()
            ):
                return user
        raise _Failure(404, "Not Found.")

    def _page(self, args: dict[str, Any], child_args: dict[str, dict[str, Any]]) -> dict[str, Any]:
        page = max(1, args.get("page") or 1)
        per_page = min(max(1, args.get("perPage") or MAX_PER_PAGE), MAX_PER_PAGE)
        items: list[FakeActivity] = []
        if "activities" in child_args:
            items = self._filter_activities(child_args["activities"])
        start = (page - 1) * per_page
        return {
            "__typename": "Page",
            "pageInfo": {
                "__typename": "PageInfo",
                "total": len(items),
                "perPage": per_page,
                "currentPage": page,
                "lastPage": max(1, math.ceil(len(items) / per_page)),
                "hasNextPage": len(items) > start + per_page,
            },
            "activities": [self._activity(a) for a in items[start : start + per_page]],
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

    def _collection(self, args: dict[str, Any], context: _Context) -> dict[str, Any]:
        if args.get("userId") is None and args.get("userName") is None:
            raise _Failure(400, "User id or name required")
        if args.get("type") is None:
            raise _Failure(400, "Type argument required")
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


# -- helpers ---------------------------------------------------------------------------


def _too_many() -> dict[str, Any]:
    # docs/guide/rate-limiting.md: the 429 body.
    return {"message": "Too Many Requests.", "status": 429}


def _error_response(
    status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"data": None, "errors": errors}, status, headers=headers)


def _format(error: GraphQLError, status: int) -> dict[str, Any]:
    """AniList's error item: message, status, locations."""
    message = error.message
    if isinstance(error.original_error, _Failure):
        status = error.original_error.status
    elif isinstance(error.original_error, GraphQLError | None):
        # graphql-core quotes names as 'x'; AniList (like graphql-js) as "x" (errors.md).
        message = _QUOTED_NAME.sub(r'"\1"', message)
    item: dict[str, Any] = {"message": message, "status": status}
    if error.locations:
        item["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return item


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
        "createdAt": entry.updated_at,
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


def _project(value: Any, selection_set: SelectionSetNode | None, fragments: dict[str, Any]) -> Any:
    """Keep only the selected fields of resolver data (the schema-less execution path)."""
    if selection_set is None or value is None:
        return value
    if isinstance(value, list):
        return [_project(item, selection_set, fragments) for item in value]
    out: dict[str, Any] = {}
    typename = value.get("__typename")
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            key = sel.alias.value if sel.alias else sel.name.value
            out[key] = _project(value.get(sel.name.value), sel.selection_set, fragments)
        else:
            target = fragments[sel.name.value] if isinstance(sel, FragmentSpreadNode) else sel
            condition = target.type_condition.name.value if target.type_condition else None
            if condition is None or typename is None or condition == typename:
                out.update(_project(value, target.selection_set, fragments))
    return out
