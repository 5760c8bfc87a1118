"""AniList GraphQL client: who the user is, their list activities, their list entries.

Every request is one POST of a GraphQL document with variables to the base URL, through
the shared `HttpClient` (pacing, bounded retries, 429 `Retry-After`). AniList puts its
real answer in the body even on 400/401/403/404, so those statuses are read here and
turned into the error tree: an `errors` array → `GraphQLError` (also on HTTP 200), an
invalid token → `AuthExpired`, the "API disabled" 403 → `AniListRefused` (a refusal to
report, not an outage to wait out: since 2026-08 AniList's edge gives that answer to
every request without a `Referer` header, so every request carries one).
Wire shapes stay in this module; callers get `anitrakt.domain.anilist` values.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import httpx

from anitrakt.clients.anilist_queries import (
    ACTIVITIES_QUERY,
    LIBRARY_QUERY,
    MEDIA_DETAILS_QUERY,
    MEDIA_LIST_QUERY,
    USER_QUERY,
    VIEWER_QUERY,
)
from anitrakt.clients.anilist_wire import (
    UPSTREAM_NAME,
    activity_of,
    details_of,
    entries_of,
    object_of,
    user_of,
)
from anitrakt.clients.http import HttpClient, HttpObserver, Upstream
from anitrakt.clients.timing import SlidingWindow, WaitHook
from anitrakt.clock import Clock, SystemClock
from anitrakt.config import Settings
from anitrakt.domain.anilist import (
    AniListLibrary,
    AniListUser,
    ListActivity,
    MediaDetails,
    MediaListEntry,
)
from anitrakt.domain.secrets import Masker
from anitrakt.errors import (
    AniListRefused,
    AuthExpired,
    ConfigError,
    GraphQLError,
    InputError,
    UpstreamError,
    UpstreamNotFound,
    UpstreamUnavailable,
)

logger = logging.getLogger("anitrakt.anilist")

# Since 2026-08 AniList's edge answers any request without a Referer header with a 403
# saying the API is "temporarily disabled"; any value passes, `Origin` does not count
# (lawrenceli0228/animego PR #170, imashnake0/Animite PR #765). Ours names AniList itself,
# as a browser on anilist.co would.
REFERER = "https://anilist.co/"
# docs/guide/rate-limiting.md: 90 requests/min nominally, but "currently in a degraded state
# and limited to 30 requests per minute", which "is not currently reflected in the headers".
# So pace to 30/min, and lower it further whenever X-RateLimit-Limit says less.
REQUESTS_PER_MINUTE = 30
RATE_WINDOW_SECONDS = 60.0
# rate-limiting.md: going over the limit earns "a 1 minute timeout"; wait that long when
# Remaining hits 0 and no X-RateLimit-Reset says otherwise.
RATE_LIMIT_TIMEOUT_SECONDS = 60.0
# docs/reference/query.md: Page `perPage` "max 50"; MediaListCollection `perChunk` "max 500".
ACTIVITIES_PER_PAGE = 50
DETAILS_PER_PAGE = 50
ENTRIES_PER_CHUNK = 500
# Safety nets against a `hasNextPage`/`hasNextChunk` that never turns false. 1,000 pages is
# 50,000 activities (over half an hour at 30 requests/min). MediaListCollection returns at
# most the 11,000 most recent entries (guide/graphql/queries/media-list.md): 22 chunks.
MAX_ACTIVITY_PAGES = 1000
MAX_LIST_CHUNKS = 25
# Statuses whose body is AniList's GraphQL error, which says more than the status alone.
# 429 and 5xx stay with the shared helper (waits and retries).
GRAPHQL_ERROR_STATUSES = (400, 401, 403, 404)

ListStatus = Literal["COMPLETED", "CURRENT"]
LIST_STATUSES: frozenset[str] = frozenset({"COMPLETED", "CURRENT"})


class AniListClient:
    """Reads one AniList account; one instance per sync run or web request."""

    def __init__(
        self, upstream: Upstream, *, token: str | None = None, username: str | None = None
    ) -> None:
        self._token = token or None
        self.username = username or None
        self.window = SlidingWindow(REQUESTS_PER_MINUTE, RATE_WINDOW_SECONDS, upstream.clock)
        self.max_activity_pages = MAX_ACTIVITY_PAGES
        self.max_list_chunks = MAX_LIST_CHUNKS
        self._masker = Masker([self._token] if self._token else [])
        headers = {"Referer": REFERER}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        self._http = HttpClient(upstream, headers=headers, on_response=self._observe_rate_limit)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        observer: HttpObserver | None = None,
    ) -> AniListClient:
        """Build from ANILIST_API_URL, ANILIST_ACCESS_TOKEN and ANILIST_USERNAME."""
        upstream = Upstream(
            name=UPSTREAM_NAME,
            base_url=settings.anilist_api_url,
            clock=clock or SystemClock(),
            transport=transport,
            observer=observer,
        )
        secret = settings.anilist_access_token
        token = secret.get_secret_value() if secret is not None else None
        return cls(upstream, token=token, username=settings.anilist_username)

    @property
    def account_fingerprint(self) -> str:
        """A short hash naming the account read (token or username), for cache keys."""
        return _fingerprint(self._token, self.username)

    def close(self) -> None:
        self._http.close()

    def watch_waits(self, hook: WaitHook) -> None:
        """Tell `hook` before every wait: the per-minute budget and retry backoffs."""
        self.window.on_wait = self._http.on_wait = hook

    def __enter__(self) -> AniListClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- operations ------------------------------------------------------------------

    def viewer(self) -> AniListUser:
        """The account ANILIST_ACCESS_TOKEN belongs to."""
        if not self._token:
            raise ConfigError(
                "ANILIST_ACCESS_TOKEN is not set; it is needed to read the signed-in AniList user"
            )
        data = self.execute(VIEWER_QUERY)
        return user_of(data.get("Viewer"), "Viewer")

    def user_by_name(self, name: str) -> AniListUser:
        """A public AniList user by name (no token needed)."""
        if not name.strip():
            raise InputError("an AniList user name is required", field="name")
        try:
            data = self.execute(USER_QUERY, {"name": name.strip()})
        except GraphQLError as exc:
            if exc.status == 404:
                raise UpstreamNotFound(
                    f"AniList has no public user named {name.strip()!r}"
                ) from None
            raise
        return user_of(data.get("User"), "User")

    def resolve_user(self, username: str | None = None) -> AniListUser:
        """The account to sync: the token's owner, else ANILIST_USERNAME (or `username`)."""
        if self._token:
            return self.viewer()
        name = (username or self.username or "").strip()
        if not name:
            raise ConfigError(
                "set ANILIST_ACCESS_TOKEN (private lists) or ANILIST_USERNAME (public list) "
                "to choose the AniList account to sync"
            )
        try:
            return self.user_by_name(name)
        except UpstreamNotFound:
            raise ConfigError(
                f"ANILIST_USERNAME: AniList has no public user named {name!r} "
                "(a private profile needs ANILIST_ACCESS_TOKEN)"
            ) from None

    def list_activities(self, user_id: int, since: int) -> list[ListActivity]:
        """Every anime list activity created after `since` (unix seconds), oldest first."""
        found: dict[int, ListActivity] = {}
        for page in range(1, self.max_activity_pages + 1):
            variables = {
                "userId": user_id,
                "since": since,
                "page": page,
                "perPage": ACTIVITIES_PER_PAGE,
            }
            block = object_of(self.execute(ACTIVITIES_QUERY, variables).get("Page"), "Page")
            for raw in block.get("activities") or []:
                # Other union members (text, message) come back as {}: skip them.
                if isinstance(raw, dict) and raw.get("id") is not None:
                    activity = activity_of(raw)
                    # New activities shift ID_DESC pages while we read: keep each id once.
                    found.setdefault(activity.id, activity)
            if not object_of(block.get("pageInfo"), "pageInfo").get("hasNextPage"):
                return sorted(found.values(), key=lambda a: (a.created_at, a.id))
        raise UpstreamError(
            f"AniList still reports more activities after {self.max_activity_pages} pages "
            f"of {ACTIVITIES_PER_PAGE}; stopping instead of syncing part of the history"
        )

    def media_list(self, user_id: int, status: ListStatus) -> list[MediaListEntry]:
        """Every anime entry with `status` on the user's list, custom lists included."""
        if status not in LIST_STATUSES:
            raise InputError(
                f"list status must be one of {sorted(LIST_STATUSES)}, not {status!r}",
                field="status",
            )
        found: dict[int, MediaListEntry] = {}
        variables = {"userId": user_id, "status": status}
        for collection in self._collection_chunks(MEDIA_LIST_QUERY, variables):
            for entry in entries_of(collection):
                if entry.status == status:
                    found.setdefault(entry.media.id, entry)
        return list(found.values())

    def library(self, user_id: int) -> AniListLibrary:
        """The whole anime list, every status, and the score format of its scores."""
        found: dict[int, MediaListEntry] = {}
        score_format: str | None = None
        for collection in self._collection_chunks(LIBRARY_QUERY, {"userId": user_id}):
            user = collection.get("user")
            options = user.get("mediaListOptions") if isinstance(user, dict) else None
            if isinstance(options, dict) and isinstance(options.get("scoreFormat"), str):
                score_format = options["scoreFormat"]
            for entry in entries_of(collection):
                found.setdefault(entry.media.id, entry)
        return AniListLibrary(score_format, tuple(found.values()))

    def _collection_chunks(
        self, query: str, variables: Mapping[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Every chunk of a MediaListCollection, or UpstreamError past the safety net."""
        for chunk in range(1, self.max_list_chunks + 1):
            page = {**variables, "chunk": chunk, "perChunk": ENTRIES_PER_CHUNK}
            data = self.execute(query, page)
            collection = object_of(data.get("MediaListCollection"), "MediaListCollection")
            yield collection
            if not collection.get("hasNextChunk"):
                return
        raise UpstreamError(
            f"AniList still reports more list entries after {self.max_list_chunks} chunks "
            f"of {ENTRIES_PER_CHUNK}; stopping instead of syncing part of the list"
        )

    def media_details(self, media_ids: Iterable[int]) -> dict[int, MediaDetails]:
        """Each anime's dates and airing schedule, by id (ids AniList lacks are left out)."""
        ids = sorted(set(media_ids))
        found: dict[int, MediaDetails] = {}
        for start in range(0, len(ids), DETAILS_PER_PAGE):
            chunk = ids[start : start + DETAILS_PER_PAGE]
            variables = {"ids": chunk, "perPage": DETAILS_PER_PAGE}
            block = object_of(self.execute(MEDIA_DETAILS_QUERY, variables).get("Page"), "Page")
            for raw in block.get("media") or []:
                details = details_of(raw)
                found[details.media.id] = details
        return found

    # -- the one request path --------------------------------------------------------

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST one GraphQL document with variables; return `data` or raise a typed error."""
        response = self._http.request(
            "POST",
            self._http.upstream.base_url,  # exactly ANILIST_API_URL, no path appended
            json={"query": query, "variables": dict(variables or {})},
            pacers=(self.window,),
            idempotent=True,  # every query here is a read, safe to resend
            ok_statuses=GRAPHQL_ERROR_STATUSES,
        )
        status = response.status_code
        try:
            body = self._http.json(response)
        except UpstreamUnavailable:
            if status == 401:
                raise self._auth_expired("HTTP 401") from None
            raise
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            raise self._error_from(errors, status)
        if status == 401:
            raise self._auth_expired("HTTP 401")
        if not 200 <= status < 300:
            raise self._http.error_for(response)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise UpstreamError(f"{UPSTREAM_NAME} answered without a data object (HTTP {status})")
        return data

    def _error_from(self, errors: Any, http_status: int) -> UpstreamError:
        items = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        first = items[0] if items else {}
        texts = [self._scrub(str(e.get("message") or "")).strip() for e in items[:3]]
        message = "; ".join(text for text in texts if text) or "unknown error"
        error_status = first.get("status")
        status = error_status if isinstance(error_status, int) else http_status
        plain = message.strip().rstrip(".").lower()
        if http_status == 401 or status == 401 or plain in ("invalid token", "unauthorized"):
            return self._auth_expired(message)
        if (http_status == 403 or status == 403) and "disabled" in plain:
            return AniListRefused(
                f"{UPSTREAM_NAME} refused the request (HTTP 403: “{message}”). AniList's edge "
                "gives this answer to requests it blocks — without a Referer header, or from "
                "a blocked network — so it is not necessarily an outage; anitrakt sends a "
                "Referer, so check that no proxy between here and AniList strips it, and "
                "that AniList is not blocking this address",
                status=403,
            )
        return GraphQLError(f"{UPSTREAM_NAME}: {message}", status=status)

    def _auth_expired(self, reason: str) -> AuthExpired:
        return AuthExpired(
            f"{UPSTREAM_NAME} rejected the access token ({reason}); "
            "renew ANILIST_ACCESS_TOKEN (AniList tokens last one year)"
        )

    def _scrub(self, text: str) -> str:
        """Never echo the token, even if an upstream message quotes it."""
        return self._masker.mask(text)

    def _observe_rate_limit(self, response: httpx.Response) -> None:
        """Follow X-RateLimit-Limit down, and sit out a spent minute (Remaining 0)."""
        limit = _header_int(response, "X-RateLimit-Limit")
        if limit is not None and 0 < limit < self.window.limit:
            logger.info("%s: rate limit is %d/min; pacing to it", UPSTREAM_NAME, limit)
            self.window.limit = limit
        if response.status_code == 429 and "Retry-After" in response.headers:
            return  # the shared helper waits exactly Retry-After; don't wait twice
        remaining = _header_int(response, "X-RateLimit-Remaining")
        if remaining is None or remaining > 0:
            return
        clock = self._http.upstream.clock
        wait = RATE_LIMIT_TIMEOUT_SECONDS
        reset = _header_int(response, "X-RateLimit-Reset")
        if reset is not None:
            cap = self._http.upstream.retry.max_retry_after
            wait = min(max(0.0, reset - clock.time()), cap)
        logger.info("%s: no requests left this minute; pausing %.0fs", UPSTREAM_NAME, wait)
        self.window.pause_until(clock.monotonic() + wait)


# -- wire → domain -----------------------------------------------------------------------


def _header_int(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name].strip())
    except (KeyError, ValueError):
        return None


def account_fingerprint(settings: Settings) -> str:
    """`AniListClient.account_fingerprint` of the client these settings build, without
    building one (a cache lookup should not open HTTP clients)."""
    secret = settings.anilist_access_token
    token = secret.get_secret_value() if secret is not None else None
    return _fingerprint(token or None, settings.anilist_username or None)


def _fingerprint(token: str | None, username: str | None) -> str:
    identity = token or f"user:{username or ''}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]
