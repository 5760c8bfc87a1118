"""Trakt tokens as an `httpx.Auth` flow (the OAuth calls themselves are in `trakt_oauth`).

Token rules (docs/sync.md §6, and the contract's POST /oauth/token and
/oauth/device/token): access tokens live 7 days and refresh tokens are single-use, so

- tokens in the store win once present; `TRAKT_ACCESS_TOKEN`/`TRAKT_REFRESH_TOKEN` are
  only the starting point;
- a token is refreshed before it expires (`REFRESH_MARGIN_SECONDS`) and once when Trakt
  answers 401, after which the request is sent once more; a second 401 or a refused
  refresh is `AuthExpired` — never a loop;
- refreshes never overlap: a `threading.Lock` inside the process, and the store's lock
  across processes, under which the stored refresh token is compared with the one about
  to be spent (if another process already spent it, its new tokens are used instead);
- new tokens are saved together in one transaction and handed to `on_tokens` (the log
  masker). No token, secret or code ever appears in an exception message or log record.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from typing import Protocol

import httpx

from anitrakt.clients.trakt_oauth import REAUTHORIZE_HINT, TraktOAuth
from anitrakt.clock import Clock
from anitrakt.domain.trakt import TokenSet
from anitrakt.errors import AuthExpired, ConflictError, RateLimited, UpstreamUnavailable

logger = logging.getLogger("anitrakt.trakt")

# Refresh when less than a day is left: access tokens live 7 days (contract docs, POST
# /oauth/device/token), and a day covers a sync that starts just before expiry.
REFRESH_MARGIN_SECONDS = 86_400.0


class HeldTokensLike(Protocol):
    """The tokens stored right now, under the store's lock (see store.tokens)."""

    @property
    def current(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...


class TokenStorage(Protocol):
    """Where tokens live; `store.tokens.SqlTokenStore` implements it over system_config."""

    def load(self) -> TokenSet | None: ...

    def locked(self) -> AbstractContextManager[HeldTokensLike]: ...

    def clear(self) -> None: ...


class TraktTokenAuth(httpx.Auth):
    """Adds `Authorization: Bearer …`, refreshing before expiry and once on a 401."""

    requires_request_body = True

    def __init__(
        self,
        oauth: TraktOAuth,
        storage: TokenStorage,
        *,
        clock: Clock,
        env_tokens: TokenSet | None = None,
        on_tokens: Callable[[TokenSet], None] | None = None,
        pace: Callable[[str], None] | None = None,
    ) -> None:
        self._oauth = oauth
        self._storage = storage
        self._clock = clock
        self._env = env_tokens
        self._on_tokens = on_tokens
        # Called with the method before a request is sent again after a refresh, so the
        # resend still respects the write/read pacing.
        self._pace = pace
        self._tokens: TokenSet | None = None
        self._lock = threading.Lock()
        # A refresh token Trakt refused: never spent again (no refresh loops).
        self._dead_refresh: str | None = None
        if env_tokens is not None:
            self._notify(env_tokens)

    # -- the httpx flow ------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        tokens = self._fresh_tokens()
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code != 401:
            return
        tokens = self._refresh(tokens)
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        if self._pace is not None:
            self._pace(request.method)
        response = yield request
        if response.status_code == 401:
            raise AuthExpired(
                f"Trakt rejected the access token even after a refresh; {REAUTHORIZE_HINT}"
            )

    # -- token state ---------------------------------------------------------------

    def current(self) -> TokenSet | None:
        """The tokens in use: cached, else the store's, else the environment's."""
        cached = self._tokens
        if cached is not None:
            return cached
        stored = self._storage.load()
        if stored is not None:
            self._notify(stored)
        # Cached either way: a refresh by another process is noticed under the lock
        # (the compare-and-swap in `_refresh`) when Trakt answers 401 or expiry nears.
        self._tokens = stored or self._env
        return self._tokens

    def _required(self) -> TokenSet:
        tokens = self.current()
        if tokens is None:
            raise AuthExpired(
                "Trakt is not connected: no stored token and TRAKT_ACCESS_TOKEN is not set; "
                "authorize with anitrakt trakt auth or the /sync page"
            )
        return tokens

    def refresh(self) -> TokenSet:
        """Refresh now (unless another thread or process just did); return the live tokens."""
        return self._refresh(self._required())

    def _fresh_tokens(self) -> TokenSet:
        tokens = self._required()
        if not tokens.refresh_token or not tokens.expires_within(
            REFRESH_MARGIN_SECONDS, self._clock.time()
        ):
            return tokens
        try:
            return self._refresh(tokens)
        except (UpstreamUnavailable, RateLimited, ConflictError) as exc:
            expires_at = tokens.expires_at or 0.0
            if expires_at <= self._clock.time():
                raise
            # The token still works for a while: use it and try the refresh next time.
            logger.warning("Trakt token refresh failed (%s); using the current token", exc)
            return tokens

    def _refresh(self, stale: TokenSet) -> TokenSet:
        """Replace `stale` with newer tokens, refreshing at Trakt only if nobody else did."""
        with self._lock:
            cached = self._tokens
            if cached is not None and cached.access_token != stale.access_token:
                return cached  # another thread of this process refreshed meanwhile
            with self._storage.locked() as held:
                stored = held.current
                if stored is not None and not _same_grant(stored, stale):
                    # Another process refreshed (or the person re-authorized): its
                    # tokens are the live ones; spending ours would fail anyway.
                    fresh = stored
                else:
                    fresh = self._refresh_at_trakt(stored or stale)
                    self._tokens = fresh  # usable in this process even if the save fails
                    held.save(fresh)
            self._tokens = fresh
        self._notify(fresh)
        return fresh

    def _refresh_at_trakt(self, tokens: TokenSet) -> TokenSet:
        spend = tokens.refresh_token
        if not spend:
            raise AuthExpired(
                f"Trakt rejected the access token and there is no refresh token; {REAUTHORIZE_HINT}"
            )
        if spend == self._dead_refresh:
            raise AuthExpired(f"Trakt already refused this refresh token; {REAUTHORIZE_HINT}")
        try:
            fresh = self._oauth.refresh(spend)
        except AuthExpired:
            self._dead_refresh = spend
            raise
        logger.info("Trakt access token refreshed")
        return fresh

    def adopt(self, tokens: TokenSet) -> None:
        """Save tokens from an authorization (code or device flow) as the live ones."""
        with self._lock:
            with self._storage.locked() as held:
                held.save(tokens)
            self._tokens = tokens
            self._dead_refresh = None
        self._notify(tokens)

    def forget(self) -> None:
        """Drop the tokens (after a revoke)."""
        with self._lock:
            self._storage.clear()
            self._tokens = None
            self._env = None

    def _notify(self, tokens: TokenSet) -> None:
        if self._on_tokens is not None:
            self._on_tokens(tokens)


def _same_grant(stored: TokenSet, stale: TokenSet) -> bool:
    """True when the store still holds the grant the caller was about to spend."""
    if stale.refresh_token:
        return stored.refresh_token == stale.refresh_token
    return stored.access_token == stale.access_token
