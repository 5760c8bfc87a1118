"""A stateful fake of Trakt API v2 (API host and OAuth host), for client and sync tests.

Shapes follow the recorded and documented bodies in `../shared/data/upstream/trakt/`
(`tests/test_fake_trakt_contract.py` holds the fake to them); behaviour follows Trakt's
docs there (`trakt/docs/`). What a client may rely on:

API host (`api_host`):
- every request needs `trakt-api-key: <client_id>` (else 403, "invalid API key") and
  `trakt-api-version: 2` (else 400, "request couldn't be parsed"); a POST needs a JSON
  content type (else 412, "use application/json content type") — the docs' status table.
- `/sync/*` and `/users/settings` need `Authorization: Bearer <valid access token>`;
  search and shows work without one, but an invalid or expired token sent anyway is a 401
  there too (Trakt checks any token it is given).
- POST /sync/history records EVERY play it is sent (Trakt does not dedupe), puts unknown
  items in `not_found`, and — like Trakt — marks every aired episode of a show (or of a
  season) posted without an episode list; `bare_show_posts` counts those so tests can
  assert the client never does it.
- GET /sync/watched/{shows,movies} follow Trakt's 2026 change (trakt/trakt-api
  discussion #775, enforced after 2026-06-30; issues #835, #844): per-episode `seasons`
  only with `extended=progress`, and always paginated — 100 a page by default, `limit`
  clamped to 250, and to 100 with `extended=progress`. `watched_seasons_need_progress=
  False` restores the documented default (seasons without asking).
- search is paginated (10 a page by default), X-Pagination-* headers as documented.

OAuth host (`auth_host`): token exchange and refresh (refresh tokens are single-use),
device codes with the documented polling statuses (200/400/404/409/410/418/429), revoke,
and a minimal authorize endpoint. OAuth errors are JSON `{error, error_description}`.

Deliberate differences from real Trakt (none of them is something a client should read):
- no `tvrage` ids, images, `plex` ids or the newest 2025–2026 extended fields: the fake
  emits a subset of the fixtures' keys, never keys of its own;
- media objects are matched by ids only when `ids` is sent (Trakt may fall back to title
  and year); without `ids` it matches title (+ year);
- a bare show marks episodes of the regular seasons (≥ 1), not specials;
- `watched_at: "unknown"` plays are stored with that literal and never count as
  `last_watched_at`; an unparseable `watched_at` is a 422 and nothing is applied;
- error bodies of the API host are empty (Trakt documents none); the fake adds an
  `x-fake-reason` header to help whoever reads a failing test;
- rate limits are enforced only with `enforce_rate_limits=True` (POST 1/s, authed GET
  `get_limit` per 5 minutes, per token).

Python interface for tests: see `FakeTrakt` (catalog, tokens, device flow, history
inspection, recorded requests, `fail_next` scripted faults, `reset`).
"""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .transport import FAULT_HEADER

DEFAULT_TOKEN_LIFETIME = 604_800  # seconds: "The access_token is valid for 7 days" (contract docs)
AUTHORIZATION_CODE_LIFETIME = 600  # seconds; Doorkeeper's default, Trakt does not document it
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
VERIFICATION_URL = "https://trakt.tv/activate"  # as in trakt.net/Authentication/Device.json
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication "
    "included, or unsupported authentication method."
)
ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
EPOCH_ISO = "1970-01-01T00:00:00.000Z"


def iso_utc(moment: float) -> str:
    """Trakt's date format: UTC, milliseconds, `Z` (apiary intro, "Dates")."""
    when = datetime.fromtimestamp(moment, UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z"


def normalise_watched_at(value: str) -> str | None:
    """A `watched_at` as Trakt stores it, the keywords kept; None when it cannot be parsed."""
    if value in ("released", "unknown"):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return iso_utc(parsed.timestamp())


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "untitled"


# ---------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class FakeEpisode:
    """One episode as a test declares it; unset ids stay null, the Trakt id is auto-assigned."""

    number: int
    number_abs: int | None = None
    trakt_id: int | None = None
    title: str | None = None
    tvdb: int | None = None
    tmdb: int | None = None
    imdb: str | None = None
    first_aired: str | None = None


@dataclass(frozen=True)
class Play:
    """One play in the fake account's history (Trakt keeps every one, duplicates included)."""

    kind: Literal["episode", "movie"]
    trakt_id: int
    show_trakt_id: int | None
    season: int | None
    number: int | None
    watched_at: str
    added_at: str = field(default="", compare=False)


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the fake received it; `headers` keys are lower-case."""

    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    body: bytes = b""


@dataclass
class Fault:
    """A scripted failure for the next `remaining` requests matching `method`/`path`."""

    remaining: int
    status: int | None = None
    retry_after: str | None = None
    html: bool = False
    timeout: bool = False
    after_apply: bool = False
    path: str | None = None
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is None:
            return True
        return path == self.path or fnmatch.fnmatchcase(path, self.path)


class FaultQueue:
    """The `fail_next` machinery, shared with the fake TMDB."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(
        self,
        n: int,
        *,
        status: int | None,
        retry_after: str | None,
        html: bool,
        timeout: bool,
        after_apply: bool,
        path: str | None,
        method: str | None,
        headers: Mapping[str, str] | None,
    ) -> None:
        if n < 1:
            raise ValueError("fail_next needs n >= 1")
        if (status is None) == (not timeout):
            raise ValueError("fail_next needs exactly one of status=… or timeout=True")
        self.faults.append(
            Fault(
                n,
                status,
                retry_after,
                html,
                timeout,
                after_apply,
                path,
                method,
                dict(headers or {}),
            )
        )

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None


def cloudflare_page(status: int, host: str) -> str:
    """An HTML error page like the ones Cloudflare serves in front of an API."""
    return (
        "<!DOCTYPE html>\n<html><head><title>"
        f'{host} | {status}: Error</title></head>\n<body><div id="cf-error-details">'
        f"<h1>Error {status}</h1><p>Ray ID: fake · Performance &amp; security by Cloudflare</p>"
        "</div></body></html>\n"
    )


def parse_body_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def record(request: Request, body: bytes) -> RecordedRequest:
    return RecordedRequest(
        method=request.method,
        host=request.headers.get("host", ""),
        path=request.url.path,
        query=dict(request.query_params),
        headers={key.lower(): value for key, value in request.headers.items()},
        json=parse_body_json(body),
        body=body,
    )


# ------------------------------------------------------------------------ catalog records


@dataclass
class _Episode:
    show_trakt_id: int
    season: int
    number: int
    number_abs: int | None
    trakt_id: int
    title: str
    tvdb: int | None
    tmdb: int | None
    imdb: str | None
    first_aired: str | None


@dataclass
class _Season:
    number: int
    trakt_id: int
    episodes: list[_Episode]

    def episode(self, number: Any) -> _Episode | None:
        for episode in self.episodes:
            if _same_id(number, episode.number):
                return episode
        return None


@dataclass
class _Show:
    trakt_id: int
    title: str
    slug: str
    year: int | None
    tvdb: int | None
    tmdb: int | None
    imdb: str | None
    seasons: dict[int, _Season]

    def ids(self) -> dict[str, Any]:
        return {
            "trakt": self.trakt_id,
            "slug": self.slug,
            "tvdb": self.tvdb,
            "imdb": self.imdb,
            "tmdb": self.tmdb,
        }

    def regular_episodes(self) -> list[_Episode]:
        return [ep for n in sorted(self.seasons) if n >= 1 for ep in self.seasons[n].episodes]


@dataclass
class _Movie:
    trakt_id: int
    title: str
    slug: str
    year: int | None
    tmdb: int | None
    imdb: str | None

    def ids(self) -> dict[str, Any]:
        return {"trakt": self.trakt_id, "slug": self.slug, "imdb": self.imdb, "tmdb": self.tmdb}


def _same_id(sent: Any, ours: Any) -> bool:
    """Trakt ids arrive as numbers or strings; compare them as text, never null."""
    if sent is None or ours is None or isinstance(sent, (dict, list, bool)):
        return False
    return str(sent) == str(ours)


# ------------------------------------------------------------------------- OAuth records


@dataclass
class _Token:
    access: str
    refresh: str
    created_at: float
    expires_at: float
    revoked: bool = False
    refresh_used: bool = False


@dataclass
class _DeviceCode:
    device_code: str
    user_code: str
    created_at: float
    expires_in: int
    interval: int
    state: Literal["pending", "approved", "denied", "used"] = "pending"
    last_poll: float | None = None


@dataclass
class _Ctx:
    """What a route handler gets: the request, path parameters and the caller's token."""

    req: RecordedRequest
    params: dict[str, str]
    token: str | None
    extended: frozenset[str]


class _Invalid(Exception):
    """A request body Trakt would refuse as a whole (422: validation errors)."""


Handler = Callable[[_Ctx], Response]
_Titled = TypeVar("_Titled", _Show, _Movie)


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: Literal["required", "optional", "none"]


def _empty(status: int, reason: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers={"x-fake-reason": reason, **(headers or {})})


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


# ----------------------------------------------------------------------------- the fake


class FakeTrakt:
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
    `enforce_rate_limits`, `get_limit`, `token_lifetime`, `device_interval`, `vip`.
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
        get_limit: int = 1000,
        watched_seasons_need_progress: bool = True,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.in_process = in_process
        self.api_host = api_host
        self.auth_host = auth_host
        self.redirect_uri = redirect_uri
        self.username = username
        self.vip = vip
        self.token_lifetime = token_lifetime
        self.device_expires_in = device_expires_in
        self.device_interval = device_interval
        self.timeout_sleep = timeout_sleep
        self.enforce_rate_limits = enforce_rate_limits
        self.get_limit = get_limit
        self.watched_seasons_need_progress = watched_seasons_need_progress
        self._lock = threading.RLock()
        self._shows: dict[int, _Show] = {}
        self._movies: dict[int, _Movie] = {}
        self._episode_ids: set[int] = set()
        self._next_episode_id = 9_000_001
        self._next_season_id = 8_000_001
        self._routes = self._build_routes()
        self.reset()
        self.app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=ALL_METHODS)])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The fake is itself an ASGI app, the same as `fake.app`."""
        await self.app(scope, receive, send)

    # ---------------------------------------------------------------- state & catalog

    def reset(self, *, catalog: bool = False) -> None:
        """Forget history, tokens, codes, requests, faults and counters (the catalog stays)."""
        with self._lock:
            if catalog:
                self._shows.clear()
                self._movies.clear()
                self._episode_ids.clear()
            self.plays: list[Play] = []
            self.requests: list[RecordedRequest] = []
            self.bare_show_posts = 0
            self.bare_season_posts = 0
            self.refresh_calls = 0
            self.refresh_successes = 0
            self.device_polls = 0
            self.rate_limited = 0
            self._faults = FaultQueue()
            self._tokens: dict[str, _Token] = {}
            self._by_refresh: dict[str, _Token] = {}
            self._codes: dict[str, float] = {}
            self._devices: dict[str, _DeviceCode] = {}
            self._last_post: dict[str, float] = {}
            self._gets: dict[str, list[float]] = {}
            start = iso_utc(self.clock())
            self._activity = _initial_activities(start)

    def add_show(
        self,
        trakt_id: int,
        title: str,
        *,
        slug: str | None = None,
        year: int | None = None,
        tvdb: int | None = None,
        tmdb: int | None = None,
        imdb: str | None = None,
        seasons: Mapping[int, int | Iterable[FakeEpisode]] | None = None,
    ) -> None:
        """Add a show; an int season means that many episodes, numbered 1..n.

        Int seasons get `number_abs` counting every regular-season episode before them
        (season 0 gets none); FakeEpisode lists are taken as given, in the given order.
        """
        with self._lock:
            if trakt_id in self._shows:
                raise ValueError(f"show {trakt_id} already exists")
            show = _Show(trakt_id, title, slug or slugify(title), year, tvdb, tmdb, imdb, {})
            seen_regular = 0
            for number in sorted(seasons or {}):
                spec = (seasons or {})[number]
                if isinstance(spec, int):
                    declared = [
                        FakeEpisode(
                            n, number_abs=seen_regular + n if number >= 1 else None, title=None
                        )
                        for n in range(1, spec + 1)
                    ]
                else:
                    declared = list(spec)
                episodes = [self._make_episode(trakt_id, number, ep) for ep in declared]
                show.seasons[number] = _Season(number, self._new_season_id(), episodes)
                if number >= 1:
                    seen_regular += len(episodes)
            self._shows[trakt_id] = show

    def add_season(self, show_trakt_id: int, number: int, episodes: int) -> None:
        """A new season airs: `episodes` episodes, `number_abs` continuing the show's."""
        with self._lock:
            show = self._shows[show_trakt_id]
            if number in show.seasons:
                raise ValueError(f"show {show_trakt_id} already has season {number}")
            before = sum(len(s.episodes) for n, s in show.seasons.items() if n >= 1)
            declared = [FakeEpisode(n, number_abs=before + n) for n in range(1, episodes + 1)]
            made = [self._make_episode(show_trakt_id, number, ep) for ep in declared]
            show.seasons[number] = _Season(number, self._new_season_id(), made)

    def add_movie(
        self,
        trakt_id: int,
        title: str,
        *,
        slug: str | None = None,
        year: int | None = None,
        tmdb: int | None = None,
        imdb: str | None = None,
    ) -> None:
        with self._lock:
            if trakt_id in self._movies:
                raise ValueError(f"movie {trakt_id} already exists")
            default_slug = slugify(f"{title} {year}" if year else title)
            self._movies[trakt_id] = _Movie(trakt_id, title, slug or default_slug, year, tmdb, imdb)

    def episode_trakt_id(self, show_trakt_id: int, season: int, number: int) -> int:
        """The Trakt id the fake gave an episode (KeyError when there is none)."""
        episode = self._shows[show_trakt_id].seasons[season].episode(number)
        if episode is None:
            raise KeyError((show_trakt_id, season, number))
        return episode.trakt_id

    def _make_episode(self, show_id: int, season: int, spec: FakeEpisode) -> _Episode:
        trakt_id = spec.trakt_id if spec.trakt_id is not None else self._new_episode_id()
        if trakt_id in self._episode_ids:
            raise ValueError(f"episode trakt id {trakt_id} is already taken")
        self._episode_ids.add(trakt_id)
        title = spec.title if spec.title is not None else f"Episode {spec.number}"
        return _Episode(
            show_id,
            season,
            spec.number,
            spec.number_abs,
            trakt_id,
            title,
            spec.tvdb,
            spec.tmdb,
            spec.imdb,
            spec.first_aired,
        )

    def _new_episode_id(self) -> int:
        self._next_episode_id += 1
        while self._next_episode_id in self._episode_ids:
            self._next_episode_id += 1
        return self._next_episode_id

    def _new_season_id(self) -> int:
        self._next_season_id += 1
        return self._next_season_id

    # ------------------------------------------------------------------ history (tests)

    def add_watched(
        self,
        show_trakt_id: int,
        season: int,
        number: int,
        *,
        watched_at: str = "2020-01-01T00:00:00.000Z",
        plays: int = 1,
    ) -> None:
        """Seed history that exists before the test (e.g. an account watched elsewhere)."""
        with self._lock:
            episode = self._shows[show_trakt_id].seasons[season].episode(number)
            if episode is None:
                raise KeyError((show_trakt_id, season, number))
            for _ in range(plays):
                self._apply_play(episode, normalise_watched_at(watched_at) or watched_at)
            self._touch("episodes")

    def add_watched_movie(
        self, trakt_id: int, *, watched_at: str = "2020-01-01T00:00:00.000Z", plays: int = 1
    ) -> None:
        with self._lock:
            movie = self._movies[trakt_id]
            for _ in range(plays):
                self._apply_play(movie, normalise_watched_at(watched_at) or watched_at)
            self._touch("movies")

    def play_count(self, show_trakt_id: int, season: int, number: int) -> int:
        return self.history_counts()[(show_trakt_id, season, number)]

    def history_counts(self) -> Counter[tuple[Any, ...]]:
        """Plays per `(show, season, number)` episode and per `("movie", trakt_id)`."""
        with self._lock:
            counts: Counter[tuple[Any, ...]] = Counter()
            for play in self.plays:
                if play.kind == "movie":
                    counts[("movie", play.trakt_id)] += 1
                else:
                    counts[(play.show_trakt_id, play.season, play.number)] += 1
            return counts

    # ------------------------------------------------------------------- tokens (tests)

    def issue_tokens(self, expires_in: int = DEFAULT_TOKEN_LIFETIME) -> tuple[str, str]:
        """A fresh (access, refresh) pair, valid now, as if the user had authorized."""
        with self._lock:
            token = self._new_token(expires_in)
            return token.access, token.refresh

    def expire_access_token(self, token: str) -> None:
        with self._lock:
            self._tokens[token].expires_at = self.clock() - 1

    def revoke_tokens(self, access_token: str) -> None:
        """Revoke an access token and its refresh token (the user disconnected the app)."""
        with self._lock:
            record = self._tokens[access_token]
            record.revoked = True
            record.refresh_used = True

    @property
    def valid_access_tokens(self) -> set[str]:
        with self._lock:
            now = self.clock()
            return {t.access for t in self._tokens.values() if self._live(t, now)}

    @property
    def valid_refresh_tokens(self) -> set[str]:
        with self._lock:
            return {t.refresh for t in self._tokens.values() if not t.refresh_used}

    def create_authorization_code(self) -> str:
        """A code as Trakt would hand the user after they approve the app (single-use)."""
        with self._lock:
            code = secrets.token_hex(16)
            self._codes[code] = self.clock()
            return code

    def approve_device(self, user_code: str) -> None:
        with self._lock:
            self._device_by_user_code(user_code).state = "approved"

    def deny_device(self, user_code: str) -> None:
        with self._lock:
            self._device_by_user_code(user_code).state = "denied"

    @property
    def device_user_codes(self) -> list[str]:
        with self._lock:
            return [d.user_code for d in self._devices.values()]

    def _device_by_user_code(self, user_code: str) -> _DeviceCode:
        for device in self._devices.values():
            if device.user_code == user_code:
                return device
        raise KeyError(user_code)

    def _new_token(self, expires_in: int) -> _Token:
        now = self.clock()
        token = _Token(secrets.token_hex(32), secrets.token_hex(32), now, now + expires_in)
        self._tokens[token.access] = token
        self._by_refresh[token.refresh] = token
        return token

    def _live(self, token: _Token, now: float) -> bool:
        return not token.revoked and now < token.expires_at

    def _token_body(self, token: _Token) -> dict[str, Any]:
        return {
            "access_token": token.access,
            "token_type": "bearer",
            "expires_in": int(token.expires_at - token.created_at),
            "refresh_token": token.refresh,
            "scope": "public",
            "created_at": int(token.created_at),
        }

    # -------------------------------------------------------------- faults & requests

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int | None = None,
        retry_after: str | None = None,
        html: bool = False,
        timeout: bool = False,
        after_apply: bool = False,
        path: str | None = None,
        method: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next `n` matching requests with a fault instead of the real answer.

        `status` (with `retry_after`, `html` for a Cloudflare-style page, extra `headers`
        such as X-Account-Limit for a 420) or `timeout=True` (the transport raises
        ReadTimeout in-process; a real server sleeps `timeout_sleep`). With
        `after_apply=True` the request is processed first — a history post is recorded —
        and only then answered with the fault. `path` may be a glob ("/sync/*").
        """
        with self._lock:
            self._faults.add(
                n,
                status=status,
                retry_after=retry_after,
                html=html,
                timeout=timeout,
                after_apply=after_apply,
                path=path,
                method=method,
                headers=headers,
            )

    def clear_faults(self) -> None:
        """Drop every scripted fault not yet used up (the storm is over)."""
        with self._lock:
            self._faults = FaultQueue()

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == path and (method is None or r.method == method.upper())
            ]

    # ------------------------------------------------------------------- ASGI dispatch

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        recorded = record(request, body)
        with self._lock:
            self.requests.append(recorded)
            response, fault = self._dispatch(recorded)
        if fault is not None and fault.timeout and not self.in_process:
            await asyncio.sleep(self.timeout_sleep)
        return response

    def _dispatch(self, req: RecordedRequest) -> tuple[Response, Fault | None]:
        is_oauth = req.path.startswith("/oauth/")
        expected_host = self.auth_host if is_oauth else self.api_host
        if expected_host is not None and not _host_matches(req.host, expected_host):
            kind = "OAuth" if is_oauth else "API"
            return _empty(404, f"{kind} path {req.path} on host {req.host}"), None
        fault = self._faults.take(req.method, req.path)
        if fault is not None and not fault.after_apply:
            return self._fault_response(fault, req), fault
        response = self._route(req, is_oauth)
        if fault is not None:
            return self._fault_response(fault, req), fault
        return response, None

    def _fault_response(self, fault: Fault, req: RecordedRequest) -> Response:
        if fault.timeout:
            if self.in_process:
                return Response(b"", status_code=504, headers={FAULT_HEADER: "ReadTimeout"})
            return _empty(504, "scripted timeout")
        status = fault.status or 500
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        if status == 429 and not fault.html:
            if req.method in ("POST", "PUT", "DELETE"):
                headers["X-Ratelimit"] = self._ratelimit_header("AUTHED_API_POST_LIMIT", 1, 1)
            else:
                authed = "authorization" in req.headers
                name = "AUTHED_API_GET_LIMIT" if authed else "UNAUTHED_API_GET_LIMIT"
                headers["X-Ratelimit"] = self._ratelimit_header(name, 300, self.get_limit)
        if status in (420, 426):
            headers["X-Upgrade-URL"] = "https://trakt.tv/vip"
        if status == 401:
            headers["WWW-Authenticate"] = _www_authenticate("The access token is invalid")
        headers.update(fault.headers)
        if fault.html:
            page = cloudflare_page(status, req.host or "api.trakt.tv")
            return HTMLResponse(page, status_code=status, headers=headers)
        return _empty(status, "scripted fault", headers)

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
            limited = self._rate_limit(req, token)
            if limited is not None:
                return limited
            extended = frozenset(p for p in req.query.get("extended", "").split(",") if p)
            return route.handler(_Ctx(req, found.groupdict(), token, extended))
        if matched_path:
            return _empty(405, f"{req.method} is not allowed on {req.path}")
        return _empty(404, f"no route {req.path}")

    def _check_api_request(self, req: RecordedRequest) -> Response | None:
        if req.headers.get("trakt-api-key") != self.client_id:
            return _empty(403, "missing or wrong trakt-api-key")
        if req.headers.get("trakt-api-version") != "2":
            return _empty(400, "missing or wrong trakt-api-version (must be 2)")
        if req.method in ("POST", "PUT", "DELETE"):
            content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return _empty(412, "use application/json content type")
        return None

    def _authenticate(
        self, req: RecordedRequest, need: Literal["required", "optional", "none"]
    ) -> tuple[str | None, Response | None]:
        if need == "none":
            return None, None
        header = req.headers.get("authorization")
        if header is None:
            if need == "required":
                return None, self._unauthorized("OAuth must be provided")
            return None, None
        scheme, _, value = header.partition(" ")
        record_ = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if record_ is None or record_.revoked:
            return None, self._unauthorized("The access token is invalid")
        if self.clock() >= record_.expires_at:
            return None, self._unauthorized("The access token expired")
        return record_.access, None

    def _unauthorized(self, description: str) -> Response:
        return _empty(401, description, {"WWW-Authenticate": _www_authenticate(description)})

    def _rate_limit(self, req: RecordedRequest, token: str | None) -> Response | None:
        if not self.enforce_rate_limits or token is None:
            return None
        now = self.clock()
        if req.method in ("POST", "PUT", "DELETE"):
            last = self._last_post.get(token)
            self._last_post[token] = now
            if last is not None and now - last < 1.0:
                return self._too_many("AUTHED_API_POST_LIMIT", 1, 1, last + 1.0 - now)
            return None
        window = [t for t in self._gets.get(token, []) if t > now - 300]
        if len(window) >= self.get_limit:
            self._gets[token] = window
            return self._too_many(
                "AUTHED_API_GET_LIMIT", 300, self.get_limit, window[0] + 300 - now
            )
        window.append(now)
        self._gets[token] = window
        return None

    def _too_many(self, name: str, period: int, limit: int, wait: float) -> Response:
        self.rate_limited += 1
        headers = {
            "Retry-After": str(max(1, int(wait + 0.999))),
            "X-Ratelimit": self._ratelimit_header(name, period, limit),
        }
        return _empty(429, f"{name} exceeded", headers)

    def _ratelimit_header(self, name: str, period: int, limit: int) -> str:
        until = iso_utc(self.clock() + period)
        body = {"name": name, "period": period, "limit": limit, "remaining": 0, "until": until}
        return json.dumps(body, separators=(",", ":"))

    def _build_routes(self) -> list[_Route]:
        def route(method: str, path: str, handler: Handler, auth: str) -> _Route:
            return _Route(method, re.compile(path), handler, auth)  # type: ignore[arg-type]

        seg, ids = r"[^/]+", "trakt|imdb|tmdb|tvdb"
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
        ]  # fmt: skip

    # --------------------------------------------------------------------- rendering

    def _show_json(self, show: _Show, extended: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"title": show.title, "year": show.year, "ids": show.ids()}
        if "full" in extended:
            first = f"{show.year}-04-01T15:00:00.000Z" if show.year else None
            body.update(
                {
                    "overview": f"{show.title} (fake Trakt show).",
                    "first_aired": first,
                    "airs": {"day": "Sunday", "time": "00:00", "timezone": "Asia/Tokyo"},
                    "runtime": 24,
                    "certification": "TV-14",
                    "network": "Fake Network",
                    "country": "jp",
                    "trailer": None,
                    "homepage": None,
                    "status": "returning series",
                    "rating": 8.0,
                    "votes": 100,
                    "updated_at": EPOCH_ISO,
                    "language": "ja",
                    "available_translations": ["en", "ja"],
                    "genres": ["anime", "animation"],
                    "aired_episodes": len(show.regular_episodes()),
                }
            )
        return body

    def _movie_json(self, movie: _Movie, extended: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"title": movie.title, "year": movie.year, "ids": movie.ids()}
        if "full" in extended:
            body["overview"] = f"{movie.title} (fake Trakt movie)."
        return body

    def _season_json(self, season: _Season, extended: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "number": season.number,
            "ids": {"trakt": season.trakt_id, "tvdb": None, "tmdb": None},
        }
        if "full" in extended:
            body.update(
                {
                    "rating": 8.0,
                    "votes": 10,
                    "episode_count": len(season.episodes),
                    "aired_episodes": len(season.episodes),
                    "overview": None,
                }
            )
        if "episodes" in extended:
            body["episodes"] = [self._episode_json(ep, extended) for ep in season.episodes]
        return body

    def _episode_json(self, episode: _Episode, extended: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "season": episode.season,
            "number": episode.number,
            "title": episode.title,
            "ids": {
                "trakt": episode.trakt_id,
                "tvdb": episode.tvdb,
                "imdb": episode.imdb,
                "tmdb": episode.tmdb,
            },
        }
        if "full" in extended:
            body.update(
                {
                    "number_abs": episode.number_abs,
                    "overview": None,
                    "rating": 8.0,
                    "votes": 10,
                    "first_aired": episode.first_aired,
                    "updated_at": EPOCH_ISO,
                    "available_translations": ["en"],
                    "runtime": 24,
                }
            )
        return body

    # ---------------------------------------------------------------- catalog routes

    def _find_show(self, key: str) -> _Show | None:
        """A show by Trakt id, slug or IMDb id, as `/shows/:id` accepts."""
        for show in self._shows.values():
            if key in (str(show.trakt_id), show.slug) or (show.imdb and key == show.imdb):
                return show
        return None

    def _search_id(self, ctx: _Ctx) -> Response:
        id_type, wanted = ctx.params["id_type"], ctx.params["id"]
        types_param = ctx.req.query.get("type") or ctx.req.query.get("id_type") or ""
        types = set(types_param.split(",")) - {""} or {"show", "movie", "episode"}
        results: list[dict[str, Any]] = []
        for show in self._shows.values():
            if "show" in types and _same_id(wanted, getattr_id(show, id_type)):
                results.append(
                    {"type": "show", "score": None, "show": self._show_json(show, ctx.extended)}
                )
        for movie in self._movies.values():
            if "movie" in types and _same_id(wanted, getattr_id(movie, id_type)):
                results.append(
                    {"type": "movie", "score": None, "movie": self._movie_json(movie, ctx.extended)}
                )
        for show in self._shows.values():
            for season in show.seasons.values():
                for episode in season.episodes:
                    if "episode" in types and _same_id(wanted, getattr_id(episode, id_type)):
                        results.append(
                            {
                                "type": "episode",
                                "score": None,
                                "episode": self._episode_json(episode, ctx.extended),
                                "show": self._show_json(show, ctx.extended),
                            }
                        )
        return _paginated(results, ctx.req.query, default_limit=10)

    def _search_text(self, ctx: _Ctx) -> Response:
        types = set(ctx.params["types"].split(","))
        if not types <= {"show", "movie", "episode", "person", "list"}:
            return _empty(404, f"unknown search type {ctx.params['types']}")
        words = ctx.req.query.get("query", "").lower().split()
        scored: list[tuple[float, dict[str, Any]]] = []
        candidates: list[tuple[str, str, Any]] = []
        if "show" in types:
            candidates += [("show", s.title, s) for s in self._shows.values()]
        if "movie" in types:
            candidates += [("movie", m.title, m) for m in self._movies.values()]
        for kind, title, item in candidates:
            lowered = title.lower()
            if not words or not all(word in lowered for word in words):
                continue
            score = round(1000.0 * len(" ".join(words)) / max(len(lowered), 1), 4)
            render = self._show_json if kind == "show" else self._movie_json
            scored.append((score, {"type": kind, "score": score, kind: render(item, ctx.extended)}))
        scored.sort(key=lambda pair: -pair[0])
        return _paginated([body for _, body in scored], ctx.req.query, default_limit=10)

    def _show_summary(self, ctx: _Ctx) -> Response:
        show = self._find_show(ctx.params["id"])
        if show is None:
            return _empty(404, f"no show {ctx.params['id']}")
        return JSONResponse(self._show_json(show, ctx.extended))

    def _movie_summary(self, ctx: _Ctx) -> Response:
        key = ctx.params["id"]
        for movie in self._movies.values():
            if key in (str(movie.trakt_id), movie.slug) or (movie.imdb and key == movie.imdb):
                return JSONResponse(self._movie_json(movie, ctx.extended))
        return _empty(404, f"no movie {key}")

    def _seasons(self, ctx: _Ctx) -> Response:
        show = self._find_show(ctx.params["id"])
        if show is None:
            return _empty(404, f"no show {ctx.params['id']}")
        seasons = [self._season_json(show.seasons[n], ctx.extended) for n in sorted(show.seasons)]
        return JSONResponse(seasons)

    def _season(self, ctx: _Ctx) -> Response:
        show = self._find_show(ctx.params["id"])
        season = show.seasons.get(int(ctx.params["n"])) if show else None
        if season is None:
            return _empty(404, f"no season {ctx.params['n']} of show {ctx.params['id']}")
        return JSONResponse([self._episode_json(ep, ctx.extended) for ep in season.episodes])

    # ------------------------------------------------------------------ sync routes

    def _sync_history(self, ctx: _Ctx) -> Response:
        body = ctx.req.json
        if not isinstance(body, dict):
            return _empty(400, "request body is not a JSON object")
        now = iso_utc(self.clock())
        try:
            pending, not_found, bare_shows, bare_seasons = self._plan_history(body, now)
        except _Invalid as exc:
            return _empty(422, str(exc))
        self.bare_show_posts += bare_shows + bare_seasons
        self.bare_season_posts += bare_seasons
        added = {"movies": 0, "episodes": 0}
        for target, watched_at in pending:
            self._apply_play(target, watched_at)
            added["movies" if isinstance(target, _Movie) else "episodes"] += 1
        if added["movies"]:
            self._touch("movies")
        if added["episodes"]:
            self._touch("episodes")
        return JSONResponse({"added": added, "not_found": not_found}, status_code=201)

    def _plan_history(
        self, body: dict[str, Any], now: str
    ) -> tuple[list[tuple[_Episode | _Movie, str]], dict[str, list[Any]], int, int]:
        """Resolve a history post without changing anything (a 422 must apply nothing)."""
        pending: list[tuple[_Episode | _Movie, str]] = []
        not_found: dict[str, list[Any]] = {
            "movies": [],
            "shows": [],
            "seasons": [],
            "episodes": [],
            "people": [],
        }
        bare_shows = bare_seasons = 0

        def when(*levels: Any) -> str:
            for level in levels:
                value = level.get("watched_at") if isinstance(level, dict) else None
                if value is None:
                    continue
                normalised = normalise_watched_at(value) if isinstance(value, str) else None
                if normalised is None:
                    raise _Invalid(f"watched_at {value!r} is not a UTC datetime")
                return normalised
            return now

        def add_season(show_item: dict[str, Any] | None, season: _Season, item: Any) -> None:
            nonlocal bare_seasons
            episodes = item.get("episodes")
            if not episodes:
                bare_seasons += 1
                pending.extend((ep, when(item, show_item)) for ep in season.episodes)
                return
            for ep_item in _objects(episodes):
                episode = season.episode(ep_item.get("number"))
                if episode is not None:
                    pending.append((episode, when(ep_item, item, show_item)))
                elif show_item is None:
                    not_found["episodes"].append(
                        {**_without(item, "episodes"), "episodes": [ep_item]}
                    )
                else:
                    nested = {**_without(item, "episodes"), "episodes": [ep_item]}
                    not_found["episodes"].append(
                        {**_without(show_item, "seasons"), "seasons": [nested]}
                    )

        for item in _objects(body.get("movies")):
            movie = self._match_movie(item)
            if movie is None:
                not_found["movies"].append(item)
            else:
                pending.append((movie, when(item)))
        for item in _objects(body.get("shows")):
            show = self._match_show(item)
            if show is None:
                not_found["shows"].append(item)
                continue
            seasons = item.get("seasons")
            if not seasons:
                bare_shows += 1
                pending.extend((ep, when(item)) for ep in show.regular_episodes())
                continue
            for season_item in _objects(seasons):
                season = show.seasons.get(_int_or_none(season_item.get("number")))  # type: ignore[arg-type]
                if season is None:
                    not_found["seasons"].append(
                        {**_without(item, "seasons"), "seasons": [season_item]}
                    )
                else:
                    add_season(item, season, season_item)
        for item in _objects(body.get("seasons")):
            found = self._match_season(item.get("ids"))
            if found is None:
                not_found["seasons"].append(item)
            else:
                add_season(None, found, item)
        for item in _objects(body.get("episodes")):
            episode = self._match_episode(item.get("ids"))
            if episode is None:
                not_found["episodes"].append(item)
            else:
                pending.append((episode, when(item)))
        pending = [(target, self._released(target, at, now)) for target, at in pending]
        return pending, not_found, bare_shows, bare_seasons

    def _released(self, target: _Episode | _Movie, watched_at: str, now: str) -> str:
        if watched_at != "released":
            return watched_at
        aired = target.first_aired if isinstance(target, _Episode) else None
        return aired or now

    def _apply_play(self, target: _Episode | _Movie, watched_at: str) -> None:
        added_at = iso_utc(self.clock())
        if isinstance(target, _Movie):
            self.plays.append(
                Play("movie", target.trakt_id, None, None, None, watched_at, added_at)
            )
        else:
            self.plays.append(
                Play(
                    "episode",
                    target.trakt_id,
                    target.show_trakt_id,
                    target.season,
                    target.number,
                    watched_at,
                    added_at,
                )
            )

    def _touch(self, kind: Literal["movies", "episodes"]) -> None:
        now = iso_utc(self.clock())
        self._activity[kind]["watched_at"] = now
        self._activity["all"] = now

    def _match_show(self, item: dict[str, Any]) -> _Show | None:
        ids = item.get("ids")
        if isinstance(ids, dict) and ids:
            for key in ("trakt", "imdb", "tmdb", "tvdb", "slug"):
                for show in self._shows.values():
                    if key in ids and _same_id(ids[key], getattr_id(show, key)):
                        return show
            return None
        return _match_title(list(self._shows.values()), item)

    def _match_movie(self, item: dict[str, Any]) -> _Movie | None:
        ids = item.get("ids")
        if isinstance(ids, dict) and ids:
            for key in ("trakt", "imdb", "tmdb", "slug"):
                for movie in self._movies.values():
                    if key in ids and _same_id(ids[key], getattr_id(movie, key)):
                        return movie
            return None
        return _match_title(list(self._movies.values()), item)

    def _match_season(self, ids: Any) -> _Season | None:
        if not isinstance(ids, dict):
            return None
        for show in self._shows.values():
            for season in show.seasons.values():
                if _same_id(ids.get("trakt"), season.trakt_id):
                    return season
        return None

    def _match_episode(self, ids: Any) -> _Episode | None:
        if not isinstance(ids, dict):
            return None
        episodes = [
            ep for show in self._shows.values() for s in show.seasons.values() for ep in s.episodes
        ]
        for key in ("trakt", "imdb", "tmdb", "tvdb"):
            for episode in episodes:
                if key in ids and _same_id(ids[key], getattr_id(episode, key)):
                    return episode
        return None

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
        return _watched_page(items, ctx)

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
        return _watched_page(items, ctx)

    def _last_activities(self, ctx: _Ctx) -> Response:
        return JSONResponse(copy.deepcopy(self._activity))

    def _user_settings(self, ctx: _Ctx) -> Response:
        return JSONResponse(_user_settings(self.username, self.vip))

    # ------------------------------------------------------------------ OAuth routes

    def _client_ok(self, params: Mapping[str, str], *, secret: bool = True) -> bool:
        if params.get("client_id") != self.client_id:
            return False
        return not secret or params.get("client_secret") == self.client_secret

    def _oauth_token(self, ctx: _Ctx) -> Response:
        params = _oauth_params(ctx.req)
        grant = params.get("grant_type")
        if grant == "refresh_token":
            self.refresh_calls += 1
        if not self._client_ok(params):
            return _oauth_error(401, "invalid_client", INVALID_CLIENT)
        now = self.clock()
        if grant == "authorization_code":
            code, redirect = params.get("code"), params.get("redirect_uri")
            if not code or not redirect:
                return _oauth_error(400, "invalid_request", "code and redirect_uri are required")
            issued = self._codes.pop(code, None)
            if issued is None or now - issued > AUTHORIZATION_CODE_LIFETIME:
                return _oauth_error(400, "invalid_grant", INVALID_GRANT)
            if redirect != self.redirect_uri:
                return _oauth_error(400, "invalid_grant", INVALID_GRANT)
            return JSONResponse(self._token_body(self._new_token(self.token_lifetime)))
        if grant == "refresh_token":
            old = self._by_refresh.get(params.get("refresh_token", ""))
            if old is None or old.refresh_used:
                return _oauth_error(400, "invalid_grant", INVALID_GRANT)
            old.refresh_used = True  # single-use: "invalidates the previous one"
            self.refresh_successes += 1
            return JSONResponse(self._token_body(self._new_token(self.token_lifetime)))
        return _oauth_error(
            400, "unsupported_grant_type", "The authorization grant type is not supported."
        )

    def _device_code(self, ctx: _Ctx) -> Response:
        params = _oauth_params(ctx.req)
        if not self._client_ok(params, secret=False):
            return _oauth_error(401, "invalid_client", INVALID_CLIENT)
        device = _DeviceCode(
            device_code=secrets.token_hex(32),
            user_code=secrets.token_hex(4).upper(),
            created_at=self.clock(),
            expires_in=self.device_expires_in,
            interval=self.device_interval,
        )
        self._devices[device.device_code] = device
        return JSONResponse(
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_url": VERIFICATION_URL,
                "expires_in": device.expires_in,
                "interval": device.interval,
            }
        )

    def _device_token(self, ctx: _Ctx) -> Response:
        """Poll: the status code is the answer (contract docs' table); only 200 has a body."""
        self.device_polls += 1
        params = _oauth_params(ctx.req)
        if not self._client_ok(params):
            return _oauth_error(401, "invalid_client", INVALID_CLIENT)
        device = self._devices.get(params.get("code", ""))
        if device is None:
            return _empty(404, "invalid device_code")
        now = self.clock()
        last, device.last_poll = device.last_poll, now
        if last is not None and now - last < device.interval:
            return _empty(429, "slow down: polling faster than interval")
        if now - device.created_at >= device.expires_in:
            return _empty(410, "device code expired")
        if device.state == "denied":
            return _empty(418, "user denied this code")
        if device.state == "used":
            return _empty(409, "code already used")
        if device.state == "approved":
            device.state = "used"
            return JSONResponse(self._token_body(self._new_token(self.token_lifetime)))
        return _empty(400, "pending: waiting for the user to authorize the app")

    def _revoke(self, ctx: _Ctx) -> Response:
        params = _oauth_params(ctx.req)
        if not self._client_ok(params):
            return _oauth_error(401, "invalid_client", INVALID_CLIENT)
        found = self._tokens.get(params.get("token", ""))
        if found is not None:  # RFC 7009: an unknown token is not an error
            found.revoked = True
            found.refresh_used = True
        return JSONResponse({})

    def _authorize(self, ctx: _Ctx) -> Response:
        """The browser step, reduced to: approve at once and hand back a code."""
        query = ctx.req.query
        if query.get("client_id") != self.client_id:
            return _oauth_error(401, "invalid_client", INVALID_CLIENT)
        if query.get("response_type") != "code" or query.get("redirect_uri") != self.redirect_uri:
            return _oauth_error(400, "invalid_request", "response_type or redirect_uri is wrong")
        code = self.create_authorization_code()
        if self.redirect_uri == OOB_REDIRECT_URI:
            return HTMLResponse(f'<html><body><code id="code">{code}</code></body></html>')
        extra = {"state": query["state"]} if "state" in query else {}
        target = f"{self.redirect_uri}?{urlencode({'code': code, **extra})}"
        return RedirectResponse(target, status_code=302)


# --------------------------------------------------------------------------- helpers


def _host_matches(actual: str, expected: str) -> bool:
    if ":" in expected:
        return actual == expected
    return actual.split(":")[0] == expected


def _www_authenticate(description: str) -> str:
    return f'Bearer realm="trakt", error="invalid_token", error_description="{description}"'


def getattr_id(item: Any, key: str) -> Any:
    """An item's id of one kind: `trakt`, `slug`, `imdb`, `tmdb` or `tvdb`."""
    if key == "trakt":
        return item.trakt_id
    return getattr(item, key, None)


def _objects(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Invalid("expected an array of objects")
    return value


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _match_title(items: list[_Titled], item: dict[str, Any]) -> _Titled | None:
    title = item.get("title")
    if not isinstance(title, str):
        return None
    for candidate in items:
        if candidate.title.lower() == title.lower() and item.get("year") in (None, candidate.year):
            return candidate
    return None


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


def _watched_page(items: list[Any], ctx: _Ctx) -> Response:
    """/sync/watched/* pages are forced since 2026-06-30 (trakt/trakt-api discussion #775):
    100 items by default, `limit` clamped to 250, and to 100 with extended=progress
    (jellyfin-plugin-trakt#298, PlexTraktSync#2518)."""
    cap = 100 if "progress" in ctx.extended else 250
    return _paginated(items, ctx.req.query, default_limit=100, max_limit=cap)


def _paginated(
    items: list[Any], query: Mapping[str, str], *, default_limit: int, max_limit: int | None = None
) -> Response:
    """Trakt pagination: `page`/`limit` query, X-Pagination-* headers (apiary intro)."""
    limit = int(query["limit"]) if query.get("limit", "").isdigit() else default_limit
    limit = max(1, min(limit, max_limit) if max_limit else limit)
    page = max(1, int(query["page"]) if query.get("page", "").isdigit() else 1)
    pages = max(1, -(-len(items) // limit))
    headers = {
        "X-Pagination-Page": str(page),
        "X-Pagination-Limit": str(limit),
        "X-Pagination-Page-Count": str(pages),
        "X-Pagination-Item-Count": str(len(items)),
    }
    return JSONResponse(items[(page - 1) * limit : page * limit], headers=headers)


def _oauth_params(req: RecordedRequest) -> dict[str, str]:
    """OAuth bodies are JSON per the docs; form bodies are accepted too, as Trakt does."""
    if isinstance(req.json, dict):
        return {str(k): str(v) for k, v in req.json.items() if v is not None}
    try:
        text = req.body.decode()
    except UnicodeDecodeError:
        return {}
    return dict(parse_qsl(text))


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


def _user_settings(username: str, vip: bool) -> dict[str, Any]:
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
            "watchlist": {"item_count": 100},
            "favorites": {"item_count": 100},
            "search": {"recent_count": 5},
            "collection": {"item_count": 100},
            "notes": {"item_count": 100},
        },
    }
