"""`FakeTrakt` itself: its knobs and state, and the way from the catch-all endpoint
(`fakes.faults.FakeUpstream`) to the handler of a path — the route table is here.

The domains are mixins, one module each (`catalog`, `history`, `watched`, `ratings`,
`lists`, `hidden`, `plays`, `oauth`, `guards`), over the attributes `state` declares;
this module sets them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from starlette.responses import Response

from fakes.faults import RecordedRequest

from .answers import Handler, _Ctx, _empty, _Route
from .catalog import ShowCatalog
from .guards import RequestGuards
from .hidden import HiddenDropped
from .history import SyncHistory
from .lists import SyncWatchlist
from .model import iso_utc
from .oauth import DEFAULT_TOKEN_LIFETIME, OOB_REDIRECT_URI, OAuthServer
from .plays import ItemHistory
from .ratings import SyncRatings
from .watched import WatchedState, _initial_activities

# Trakt's 2026 cap on history plays, free and VIP alike (forums.trakt.tv "Updating Trakt
# limits for 2026", quoted in Taxel/PlexTraktSync#2485).
HISTORY_PLAY_LIMIT = 100_000


# /users/settings `limits.watchlist.item_count` in traktkit's current fixture.
WATCHLIST_LIMIT = 100


class FakeTrakt(
    ShowCatalog,
    SyncHistory,
    WatchedState,
    SyncRatings,
    SyncWatchlist,
    HiddenDropped,
    ItemHistory,
    OAuthServer,
    RequestGuards,
):
    """Fake Trakt. `fake.app` (or the fake itself) is the ASGI app; the rest is for tests.

    Catalog: `add_show`, `add_movie`, `episode_trakt_id`.
    History: `plays` (every play, in order), `play_count`, `history_counts`,
    `bare_show_posts` (bare shows + bare seasons) / `bare_season_posts`, and
    `add_watched` / `add_watched_movie` to seed history that predates the test.
    Tokens: `issue_tokens`, `expire_access_token`, `revoke_tokens`,
    `valid_access_tokens`, `valid_refresh_tokens`, `refresh_calls` (every
    refresh_token grant, refused ones too) / `refresh_successes`,
    `create_authorization_code`, `approve_device`, `deny_device`, `device_user_codes`,
    `device_polls`.
    Traffic: `requests`, `requests_to`, `fail_next`, `rate_limited`; `reset`.
    Knobs (plain attributes, may change mid-test): `watched_seasons_need_progress`,
    `enforce_rate_limits`, `get_limit`, `token_lifetime`, `device_interval`, `vip`, and the
    2026 behaviours: `require_user_agent` (the edge's HTML 403 without one, on),
    `require_client_secret` (off: PKCE sign-in and secret-less grants work),
    `account_locked` (423), `vip_only` (path globs answering 426 to free accounts),
    `lost_pages` ({path: {page numbers}} answered empty with the true headers) and
    `history_limit` (100,000 plays; a post past it is a 420, nothing applied).
    `pkce_failures` and `over_limit_posts` count refusals for tests.
    Beyond history: `ratings` / `add_rating`, `watchlist` / `add_to_watchlist`,
    `dropped_shows` / `drop_show`, and the caps `ratings_limit` (None: 10,000, 20,000
    VIP), `watchlist_limit` (100) and `watchlist_limit_reported` (what /users/settings
    says; None: the enforced one).
    """

    def __init__(
        self,
        *,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",  # noqa: S107 - a fake's own test secret
        clock: Callable[[], float] = time.time,
        in_process: bool = True,
        api_host: str | None = None,
        auth_host: str | None = None,
        redirect_uri: str = OOB_REDIRECT_URI,
        username: str = "fake-user",
        vip: bool = False,
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
        device_expires_in: int = 600,
        device_interval: int = 5,
        timeout_sleep: float = 2.0,
        enforce_rate_limits: bool = False,
        get_limit: int = 500,
        watched_seasons_need_progress: bool = True,
    ) -> None:
        super().__init__(in_process=in_process, timeout_sleep=timeout_sleep)
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.api_host = api_host
        self.auth_host = auth_host
        self.redirect_uri = redirect_uri
        self.username = username
        self.vip = vip
        self.token_lifetime = token_lifetime
        self.device_expires_in = device_expires_in
        self.device_interval = device_interval
        self.enforce_rate_limits = enforce_rate_limits
        self.get_limit = get_limit
        self.watched_seasons_need_progress = watched_seasons_need_progress
        self.require_client_secret = False
        self.require_user_agent = True
        self.account_locked = False
        self.vip_only = frozenset()
        self.lost_pages = {}
        self.history_limit = HISTORY_PLAY_LIMIT
        self.ratings_limit = None
        self.watchlist_limit = WATCHLIST_LIMIT
        self.watchlist_limit_reported = None
        self._shows = {}
        self._movies = {}
        self._episode_ids = set()
        self._next_episode_id = 9_000_001
        self._next_season_id = 8_000_001
        self._routes = self._build_routes()
        self.reset()

    def _forget_catalog(self) -> None:
        self._shows.clear()
        self._movies.clear()
        self._episode_ids.clear()

    def _forget_session(self) -> None:
        """History, tokens, codes and counters; the requests and faults go in `reset`."""
        self.plays = []
        self.bare_show_posts = 0
        self.bare_season_posts = 0
        self.refresh_calls = 0
        self.refresh_successes = 0
        self.device_polls = 0
        self.pkce_failures = 0
        self.over_limit_posts = 0
        self.rate_limited = 0
        self._tokens = {}
        self._by_refresh = {}
        self._codes = {}
        self._devices = {}
        self._last_post = {}
        self._gets = {}
        self._ratings = {}
        self._watchlist = []
        self._next_list_item_id = 0
        self._dropped = {}
        start = iso_utc(self.clock())
        self._activity = _initial_activities(start)

    # ------------------------------------------------------------------------ routing

    def _misdirected(self, req: RecordedRequest) -> Response | None:
        """The edge's refusal first; then an OAuth path on the API host (or the reverse)
        is a 404, whatever was scripted."""
        refused = self._edge_refusal(req)
        if refused is not None:
            return refused
        is_oauth = req.path.startswith("/oauth/")
        expected_host = self.auth_host if is_oauth else self.api_host
        if expected_host is not None and not _host_matches(req.host, expected_host):
            kind = "OAuth" if is_oauth else "API"
            return _empty(404, f"{kind} path {req.path} on host {req.host}")
        return None

    def _answer(self, req: RecordedRequest) -> Response:
        return self._route(req, req.path.startswith("/oauth/"))

    def _route(self, req: RecordedRequest, is_oauth: bool) -> Response:
        matched_path = False
        for route in self._routes:
            found = route.pattern.fullmatch(req.path)
            if found is None:
                continue
            matched_path = True
            if route.method != req.method:
                continue
            if not is_oauth:
                rejection = self._check_api_request(req)
                if rejection is not None:
                    return rejection
            token, rejection = self._authenticate(req, route.auth)
            if rejection is not None:
                return rejection
            if not is_oauth:
                refused = self._account_refusal(req, token)
                if refused is not None:
                    return refused
            limited = self._rate_limit(req, token)
            if limited is not None:
                return limited
            extended = frozenset(p for p in req.query.get("extended", "").split(",") if p)
            return route.handler(_Ctx(req, found.groupdict(), token, extended))
        if matched_path:
            return _empty(405, f"{req.method} is not allowed on {req.path}")
        return _empty(404, f"no route {req.path}")

    def _build_routes(self) -> list[_Route]:
        def route(method: str, path: str, handler: Handler, auth: str) -> _Route:
            return _Route(method, re.compile(path), handler, auth)  # type: ignore[arg-type]

        seg, ids = r"[^/]+", "trakt|imdb|tmdb|tvdb"
        kinds = r"(?P<type>movies|shows|seasons|episodes)"
        return [
            route("POST", "/oauth/token", self._oauth_token, "none"),
            route("POST", "/oauth/device/code", self._device_code, "none"),
            route("POST", "/oauth/device/token", self._device_token, "none"),
            route("POST", "/oauth/revoke", self._revoke, "none"),
            route("GET", "/oauth/authorize", self._authorize, "none"),
            route("GET", rf"/search/(?P<id_type>{ids})/(?P<id>{seg})", self._search_id, "optional"),
            route("GET", r"/search/(?P<types>[a-z,]+)", self._search_text, "optional"),
            route("GET", rf"/shows/(?P<id>{seg})", self._show_summary, "optional"),
            route("GET", rf"/shows/(?P<id>{seg})/seasons", self._seasons, "optional"),
            route("GET", rf"/shows/(?P<id>{seg})/seasons/(?P<n>\d+)", self._season, "optional"),
            route("GET", rf"/movies/(?P<id>{seg})", self._movie_summary, "optional"),
            route("POST", "/sync/history", self._sync_history, "required"),
            route("GET", "/sync/watched/shows", self._watched_shows, "required"),
            route("GET", "/sync/watched/movies", self._watched_movies, "required"),
            route("GET", "/sync/last_activities", self._last_activities, "required"),
            route("GET", "/users/settings", self._user_settings, "required"),
            route("GET", rf"/sync/history/(?P<type>shows|movies)/(?P<id>{seg})", self._item_history,
                  "required"),
            route("GET", "/sync/ratings", self._get_ratings, "required"),
            route("GET", rf"/sync/ratings/{kinds}", self._get_ratings, "required"),
            route("POST", "/sync/ratings", self._post_ratings, "required"),
            route("GET", "/sync/watchlist", self._get_watchlist, "required"),
            route("GET", rf"/sync/watchlist/{kinds}", self._get_watchlist, "required"),
            route("POST", "/sync/watchlist", self._post_watchlist, "required"),
            route("POST", "/sync/watchlist/remove", self._remove_watchlist, "required"),
            route("GET", "/users/hidden/dropped", self._get_dropped, "required"),
            route("POST", "/users/hidden/dropped", self._drop, "required"),
            route("POST", "/users/hidden/dropped/remove", self._undrop, "required"),
        ]  # fmt: skip


def _host_matches(actual: str, expected: str) -> bool:
    if ":" in expected:
        return actual == expected
    return actual.split(":")[0] == expected
