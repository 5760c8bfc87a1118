"""The Trakt API client: typed values in and out, every request through the shared helper.

Two `HttpClient`s: one for the API host (`TRAKT_API_URL`) and one for the auth host
(`TRAKT_AUTH_URL`, every OAuth request; see `trakt_auth`). Each API request carries
the headers Trakt requires (apiary intro, "Required Headers") and is paced to stay under
Trakt's limits instead of running into them (docs/sync.md). A 420 (account limit) is reported
as `AccountLimit` with Trakt's limit and VIP headers and never retried.

History posts are not idempotent (Trakt does not dedupe plays), so they are sent with
`idempotent=False`: after an unclear failure the caller gets `UnclearWrite` and must
re-read the watched state before posting again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import quote

import httpx

from anitrakt.clients.http import HttpClient, HttpObserver, Upstream, edge_blocked, is_html
from anitrakt.clients.timing import WaitHook
from anitrakt.clients.trakt_auth import TokenStorage, TraktTokenAuth
from anitrakt.clients.trakt_budgets import TraktBudgets
from anitrakt.clients.trakt_oauth import TraktOAuth
from anitrakt.clients.trakt_wire import (
    as_int,
    dicts,
    episode_of,
    movie_of,
    not_found_items,
    search_results,
    show_of,
    user_of,
    watched_show_of,
)
from anitrakt.clock import Clock, SystemClock
from anitrakt.config import Settings
from anitrakt.domain.instants import parse_instant
from anitrakt.domain.trakt import (
    DeviceCode,
    HistoryItems,
    HistoryResult,
    SearchResult,
    TokenSet,
    TraktMovie,
    TraktSeason,
    TraktShow,
    TraktUser,
    WatchedMovie,
    WatchedShow,
)
from anitrakt.domain.values import TraktType
from anitrakt.errors import (
    AccountLimit,
    AccountLocked,
    ConfigError,
    IncompleteRead,
    TraktAppRejected,
    UpstreamNotFound,
    VipRequired,
)

logger = logging.getLogger("anitrakt.trakt")

API_VERSION = "2"
# /sync/watched/* is paginated since 2026 and `extended=progress` caps a page at 100
# items (trakt/trakt-api discussion #775; PlexTraktSync #2518, jellyfin-plugin-trakt #298).
WATCHED_PAGE_LIMIT = 100
# A safety stop for pagination: 100 pages of 100 shows is far beyond any real account. A
# read that reaches it has not proved it is complete and is refused like a lost page.
MAX_PAGES = 100
# Statuses the API wrapper inspects itself instead of letting the helper raise.
_INSPECTED = (403, 420, 423, 426)
# Where a person manages their Trakt API apps (trakt/trakt-api#902, 2026-08).
APPS_PAGE = "https://app.trakt.tv/settings/apps/api"
APP_REJECTED_HINT = (
    "the client id in TRAKT_CLIENT_ID is unknown to Trakt or the app was deleted. Since "
    "2026-07-31 Trakt deletes free users' API apps and creating one needs VIP (a free "
    f"account can still connect one community app): check {APPS_PAGE}, create an app if "
    "yours is gone, set TRAKT_CLIENT_ID and TRAKT_CLIENT_SECRET to its values and "
    "re-authorize Trakt"
)

IdType = Literal["tmdb", "imdb", "tvdb", "trakt"]
ID_TYPES = ("tmdb", "imdb", "tvdb", "trakt")


class TraktClient:
    """Every Trakt operation anitrakt needs, over one helper per host."""

    def __init__(
        self,
        *,
        api: HttpClient,
        oauth: TraktOAuth,
        token_store: TokenStorage,
        clock: Clock,
        env_tokens: TokenSet | None = None,
        on_tokens: Callable[[TokenSet], None] | None = None,
    ) -> None:
        self._api = api
        self._oauth = oauth
        self._budgets = TraktBudgets(clock, lambda: self._auth.current() is not None)
        self._auth = TraktTokenAuth(
            oauth,
            token_store,
            clock=clock,
            env_tokens=env_tokens,
            on_tokens=on_tokens,
            pace=self.pace,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        token_store: TokenStorage,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        on_tokens: Callable[[TokenSet], None] | None = None,
        observer: HttpObserver | None = None,
    ) -> TraktClient:
        """Build the client; ConfigError names TRAKT_CLIENT_ID when it is missing.

        `on_tokens` receives every token set the client learns (e.g. the EventLog's
        `add_secret` for both tokens) so they are masked wherever they might appear.
        """
        client_id = (settings.trakt_client_id or "").strip()
        if not client_id:
            raise ConfigError("TRAKT_CLIENT_ID is not set; create a Trakt API app and set it")
        secret = settings.trakt_client_secret
        clock = clock or SystemClock()
        headers = {
            "trakt-api-key": client_id,
            "trakt-api-version": API_VERSION,
            "Content-Type": "application/json",
        }
        api = HttpClient(
            Upstream(
                "Trakt", settings.trakt_api_url, clock=clock, transport=transport, observer=observer
            ),
            headers=headers,
        )
        auth_http = HttpClient(
            Upstream(
                "Trakt auth",
                settings.trakt_auth_url,
                clock=clock,
                transport=transport,
                observer=observer,
            ),
            headers=headers,
        )
        oauth = TraktOAuth(
            auth_http,
            client_id=client_id,
            client_secret=secret.get_secret_value() if secret else None,
            clock=clock,
        )
        env = None
        if settings.trakt_access_token is not None:
            refresh = settings.trakt_refresh_token
            env = TokenSet(
                access_token=settings.trakt_access_token.get_secret_value(),
                refresh_token=refresh.get_secret_value() if refresh else None,
            )
        return cls(
            api=api,
            oauth=oauth,
            token_store=token_store,
            clock=clock,
            env_tokens=env,
            on_tokens=on_tokens,
        )

    def close(self) -> None:
        self._api.close()
        self._oauth.close()

    def watch_waits(self, hook: WaitHook) -> None:
        """Tell `hook` before every wait: write and read pacing, and retry backoffs."""
        budgets = self._budgets
        budgets.writes.on_wait = budgets.user_reads.on_wait = hook
        budgets.public_reads.on_wait = self._api.on_wait = hook

    def __enter__(self) -> TraktClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------

    def pace(self, method: str) -> None:
        """Wait until one more authenticated `method` request is within Trakt's limits."""
        self._budgets.for_request(method, True)[0].acquire()

    def next_write_at(self) -> float:
        """The monotonic moment a write could go without waiting."""
        return self._budgets.next_write_at()

    def next_catalog_read_at(self) -> float:
        """The monotonic moment a catalog read (e.g. a show's seasons) could go."""
        return self._budgets.next_catalog_read_at()

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        authenticated: bool = True,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        pacer, authenticated = self._budgets.for_request(method, authenticated)
        response = self._api.request(
            method,
            path,
            params=params,
            json=json,
            pacers=(pacer,),
            idempotent=idempotent,
            auth=self._auth if authenticated else None,
            ok_statuses=_INSPECTED,
        )
        status = response.status_code
        where = f"{method} {path}"
        if status == 403 and is_html(response):
            raise edge_blocked("Trakt", where)
        if status == 403:
            raise TraktAppRejected(
                f"Trakt refused the app (HTTP 403 on {where}): " + APP_REJECTED_HINT, status=403
            )
        if status == 423:
            raise AccountLocked(
                "the Trakt account is locked (HTTP 423): Trakt suspends API access until "
                "its support unlocks the account; the account owner must contact "
                "https://support.trakt.tv",
                status=423,
            )
        if status == 426:
            upgrade = response.headers.get("X-Upgrade-URL") or "https://trakt.tv/vip"
            raise VipRequired(
                f"Trakt answered that {where} needs a VIP account (HTTP 426); turn the "
                f"feature off or upgrade at {upgrade}",
                status=426,
            )
        if status == 420:
            limit = response.headers.get("X-Account-Limit")
            vip_header = (response.headers.get("X-VIP-User") or "").strip().lower()
            vip = {"true": True, "false": False}.get(vip_header)
            hint = "" if vip else "; Trakt VIP raises it"
            raise AccountLimit(
                f"Trakt account limit reached (HTTP 420, limit {limit or 'unknown'}){hint}",
                limit=limit,
                vip=vip,
            )
        return response

    def _get(self, path: str, *, params: Mapping[str, Any] | None = None, auth: bool) -> Any:
        return self._api.json(self._call("GET", path, params=params, authenticated=auth))

    def _get_all_pages(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every item of a paginated list, or IncompleteRead when that cannot be proved.

        The watched state decides what is posted, so a read missing a page would post
        plays Trakt already has (duplicates). Complete means: every page up to
        X-Pagination-Page-Count read, and as many items as X-Pagination-Item-Count says;
        without those headers, pages are read until one comes back short.
        """
        items: list[dict[str, Any]] = []
        expected: int | None = None
        for page in range(1, MAX_PAGES + 1):
            query = {**params, "page": page, "limit": WATCHED_PAGE_LIMIT}
            response = self._call("GET", path, params=query)
            batch = dicts(self._api.json(response))
            items.extend(batch)
            count = as_int(response.headers.get("X-Pagination-Item-Count"))
            expected = count if count is not None else expected
            page_count = as_int(response.headers.get("X-Pagination-Page-Count"))
            last = page >= page_count if page_count is not None else len(batch) < WATCHED_PAGE_LIMIT
            if not last:
                continue
            if expected is not None and expected != len(items):
                raise IncompleteRead(
                    f"Trakt's {path} came back incomplete ({len(items)} of {expected} items "
                    f"over {page} pages); stopping before posting anything, so that no play "
                    "is posted twice — the next run reads it again"
                )
            return items
        raise IncompleteRead(
            f"Trakt's {path} still had more pages after {MAX_PAGES}; stopping before "
            "posting anything rather than plan from part of the watched history"
        )

    # -- for the clients beside this one (trakt_lists) -------------------------------

    def send(
        self, method: str, path: str, *, json: Any = None, idempotent: bool | None = None
    ) -> Any:
        """One authenticated request through the choke point above; its JSON body."""
        return self._api.json(self._call(method, path, json=json, idempotent=idempotent))

    def read_pages(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a paginated read, or IncompleteRead (see `_get_all_pages`)."""
        return self._get_all_pages(path, dict(params or {}))

    # -- OAuth ---------------------------------------------------------------------

    def authorization_url(self, state: str, challenge: str | None = None) -> str:
        """The link where the person approves anitrakt (code-paste flow, PKCE challenge)."""
        return self._oauth.authorization_url(state, challenge)

    def exchange_code(self, code: str, verifier: str | None = None) -> TokenSet:
        """Trade a pasted authorization code (and its PKCE verifier) for tokens; store them."""
        tokens = self._oauth.exchange_code(code, verifier)
        self._auth.adopt(tokens)
        return tokens

    def device_code(self) -> DeviceCode:
        """Start a device-code authorization: show `user_code` at `verification_url`."""
        return self._oauth.device_code()

    def poll_device_token(self, device: DeviceCode) -> TokenSet:
        """Wait for the person to approve `device`, then store and return the tokens."""
        tokens = self._oauth.poll_device_token(device)
        self._auth.adopt(tokens)
        return tokens

    def poll_device_once(self, device: DeviceCode) -> TokenSet | None:
        """One poll; stores and returns the tokens once approved, else None (pending)."""
        outcome = self._oauth.poll_device_once(device)
        if not isinstance(outcome, TokenSet):
            return None
        self._auth.adopt(outcome)
        return outcome

    def revoke(self) -> None:
        """Disconnect: revoke the access token at Trakt and forget the stored tokens."""
        tokens = self._auth.current()
        if tokens is not None:
            self._oauth.revoke(tokens.access_token)
        self._auth.forget()

    # -- catalog -------------------------------------------------------------------

    def search_by_id(
        self, id_type: IdType, value: int | str, kind: TraktType
    ) -> list[SearchResult]:
        """Shows or movies Trakt links to an external id (docs/resolution.md step 5)."""
        if id_type not in ID_TYPES:
            raise ValueError(f"unknown id type {id_type!r}")
        path = f"/search/{id_type}/{quote(str(value), safe='')}"
        try:
            body = self._get(path, params={"type": TraktType(kind).value}, auth=False)
        except UpstreamNotFound:
            return []
        return [r for r in search_results(body) if r.kind is TraktType(kind)]

    def search_shows(self, title: str) -> list[SearchResult]:
        """Shows whose title matches `title`, best first."""
        body = self._get("/search/show", params={"query": title}, auth=False)
        return search_results(body)

    def show(self, show_id: int | str) -> TraktShow:
        """One show by Trakt id, slug or IMDb id."""
        return show_of(self._get(f"/shows/{quote(str(show_id), safe='')}", auth=False))

    def movie(self, movie_id: int | str) -> TraktMovie:
        """One movie by Trakt id, slug or IMDb id."""
        return movie_of(self._get(f"/movies/{quote(str(movie_id), safe='')}", auth=False))

    def seasons_with_episodes(self, show_id: int | str) -> list[TraktSeason]:
        """Every season with its episodes in Trakt's order, `number_abs` included."""
        body = self._get(
            f"/shows/{quote(str(show_id), safe='')}/seasons",
            params={"extended": "full,episodes"},
            auth=False,
        )
        seasons = []
        for season in dicts(body):
            number = as_int(season.get("number"))
            if number is None:
                continue
            parsed = (episode_of(ep, number) for ep in dicts(season.get("episodes")))
            episodes = tuple(ep for ep in parsed if ep is not None)
            seasons.append(TraktSeason(number, episodes))
        return seasons

    # -- the person's history --------------------------------------------------------

    def add_to_history(self, items: HistoryItems) -> HistoryResult:
        """Post plays (show → season → episodes); an unclear failure is UnclearWrite."""
        if items.is_empty:
            return HistoryResult()
        payload = items.to_payload()
        response = self._call("POST", "/sync/history", json=payload, idempotent=False)
        body = self._api.json(response)
        added = body.get("added") if isinstance(body, dict) else None
        added = added if isinstance(added, dict) else {}
        return HistoryResult(
            added_episodes=as_int(added.get("episodes")) or 0,
            added_movies=as_int(added.get("movies")) or 0,
            not_found=not_found_items(body.get("not_found") if isinstance(body, dict) else None),
        )

    def watched_shows(self) -> list[WatchedShow]:
        """Every watched show with plays per episode (all pages)."""
        # Without extended=progress Trakt leaves out the per-episode `seasons` (since
        # July 2026: trakt/trakt-api#835; themoviedb.helper #1834).
        items = self._get_all_pages("/sync/watched/shows", {"extended": "progress"})
        return [watched_show_of(item) for item in items]

    def watched_movies(self) -> list[WatchedMovie]:
        """Every watched movie with its play count (all pages)."""
        return [
            WatchedMovie(
                movie=movie_of(item.get("movie")),
                plays=as_int(item.get("plays")) or 0,
                last_watched_at=parse_instant(item.get("last_watched_at")),
            )
            for item in self._get_all_pages("/sync/watched/movies", {})
        ]

    def user_settings(self) -> TraktUser:
        """The connected account: username, VIP status and limits."""
        return user_of(self._get("/users/settings", auth=True))
