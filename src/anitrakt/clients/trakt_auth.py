"""Trakt OAuth: the calls to the auth host, and the token handling as an `httpx.Auth` flow.

Every OAuth request (authorize link, code exchange, refresh, device code and token,
revoke) goes to `TRAKT_AUTH_URL`: Trakt asks clients not to use the API host for them
(Trakt API contract, GET /oauth/authorize, "Important").

Token rules (SPEC §6 and the contract's POST /oauth/token and /oauth/device/token):
access tokens live 7 days and refresh tokens are single-use, so

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

import base64
import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Generator, Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from anitrakt.clients.http import HttpClient
from anitrakt.clock import Clock
from anitrakt.domain.trakt import DeviceCode, TokenSet
from anitrakt.errors import (
    AuthExpired,
    ConflictError,
    InputError,
    RateLimited,
    TraktAppRejected,
    UpstreamUnavailable,
)

logger = logging.getLogger("anitrakt.trakt")

# The "out of band" redirect: Trakt shows the code for the person to paste (code flow).
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
# Refresh when less than a day is left: access tokens live 7 days (contract docs, POST
# /oauth/device/token), and a day covers a sync that starts just before expiry.
REFRESH_MARGIN_SECONDS = 86_400.0
# "slow_down": add 5 seconds to the polling interval (RFC 8628 §3.5); Trakt's 429 on
# /oauth/device/token means the same ("your app is polling too quickly").
DEVICE_SLOW_DOWN_SECONDS = 5
REAUTHORIZE_HINT = "re-authorize Trakt (`anitrakt auth trakt` or the /sync page)"
# PKCE (RFC 7636) on the code flow: Trakt's contract marks the client secret deprecated
# for sign-in (trakt/trakt-api guides/pkce.md, 2026-10). 64 random bytes make an
# 86-character verifier, inside the RFC's 43–128.
PKCE_METHOD = "S256"
PKCE_VERIFIER_BYTES = 64
APPS_PAGE = "https://app.trakt.tv/settings/apps/api"


def new_code_verifier() -> str:
    """A fresh PKCE code verifier (kept by us, never shown)."""
    return secrets.token_urlsafe(PKCE_VERIFIER_BYTES)


def code_challenge(verifier: str) -> str:
    """The S256 challenge for `verifier`: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class DeviceAuthFailed(AuthExpired):
    """The device-code authorization ended without tokens; `reason` says how."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, details={"reason": reason})
        self.reason = reason


# Device-token polling answers other than 200 (pending) and 429 (slow down), per the
# contract's status table: (reason, message).
DEVICE_FAILURES: dict[int, tuple[str, str]] = {
    404: ("invalid_code", "Trakt does not know this device code; start the authorization again"),
    409: ("already_used", "this device code was already used; start the authorization again"),
    410: ("expired", "the device code expired before it was approved; start again"),
    418: ("denied", "the Trakt user denied the authorization request"),
}
DEVICE_PENDING = 400
DEVICE_SLOW_DOWN = 429


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


def _oauth_error(response: httpx.Response) -> str:
    """The OAuth `error` code of a refusal (e.g. invalid_grant); never the description."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    return (
        error if isinstance(error, str) and error.isidentifier() else f"HTTP {response.status_code}"
    )


class TraktOAuth:
    """The OAuth endpoints of the auth host; returns tokens, stores nothing."""

    def __init__(
        self,
        http: HttpClient,
        *,
        client_id: str,
        client_secret: str | None,
        clock: Clock,
    ) -> None:
        self._http = http
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock

    def close(self) -> None:
        self._http.close()

    def _credentials(self) -> dict[str, str]:
        """The client id, and the secret when one is set (PKCE sign-in needs none)."""
        found = {"client_id": self._client_id}
        if self._client_secret:
            found["client_secret"] = self._client_secret
        return found

    def _post(self, path: str, body: dict[str, Any], ok: Iterable[int] = ()) -> httpx.Response:
        # Resending an OAuth call after an unclear failure is harmless: a code or refresh
        # token that was spent is refused (invalid_grant), which is what we would report.
        return self._http.request("POST", path, json=body, idempotent=True, ok_statuses=ok)

    def _tokens(self, response: httpx.Response) -> TokenSet:
        body = self._http.json(response)
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise UpstreamUnavailable("Trakt answered the token request without an access token")
        refresh = body.get("refresh_token")
        lifetime = body.get("expires_in")
        created = body.get("created_at")
        now = self._clock.time()
        # Expiry from our own clock: it is the clock we compare against later.
        lifetime_ok = isinstance(lifetime, int | float) and not isinstance(lifetime, bool)
        return TokenSet(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=now + float(lifetime) if lifetime_ok else None,
            created_at=float(created) if isinstance(created, int | float) else now,
        )

    def _refused(self, response: httpx.Response, what: str) -> AuthExpired | TraktAppRejected:
        error = _oauth_error(response)
        if error == "invalid_client" and not self._client_secret:
            return TraktAppRejected(
                f"Trakt refused {what} for this app (invalid_client) and TRAKT_CLIENT_SECRET "
                f"is not set: this app needs its secret — copy it from {APPS_PAGE} into "
                "TRAKT_CLIENT_SECRET",
                status=response.status_code,
            )
        if error == "invalid_client":
            return TraktAppRejected(
                f"Trakt does not accept the app credentials (invalid_client) for {what}: "
                "check TRAKT_CLIENT_ID and TRAKT_CLIENT_SECRET. Since 2026-07-31 Trakt "
                f"deletes free users' API apps and creating one needs VIP: see {APPS_PAGE}, "
                "create an app if yours is gone, set both variables and re-authorize",
                status=response.status_code,
            )
        return AuthExpired(f"Trakt refused {what} ({error}); {REAUTHORIZE_HINT}")

    def authorization_url(self, state: str, challenge: str | None = None) -> str:
        """The page where the person approves the app; Trakt then shows a code to paste.

        With `challenge` (see `code_challenge`) the code can only be exchanged together
        with its verifier (PKCE), so a code seen by someone else is useless to them.
        """
        params = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": OOB_REDIRECT_URI,
            "state": state,
        }
        if challenge is not None:
            params |= {"code_challenge": challenge, "code_challenge_method": PKCE_METHOD}
        return f"{self._http.upstream.base_url}/oauth/authorize?{urlencode(params)}"

    def exchange_code(self, code: str, verifier: str | None = None) -> TokenSet:
        """Tokens for an authorization code the person pasted (with its PKCE verifier)."""
        if not code.strip():
            raise InputError("the Trakt authorization code is empty", field="code")
        body = {
            "code": code.strip(),
            **self._credentials(),
            "redirect_uri": OOB_REDIRECT_URI,
            "grant_type": "authorization_code",
        }
        if verifier is not None:
            body["code_verifier"] = verifier
        response = self._post("/oauth/token", body, ok=(400, 401))
        if response.status_code in (400, 401):
            refusal = self._refused(response, "the authorization code")
            if isinstance(refusal, TraktAppRejected):
                raise refusal
            raise InputError(
                f"Trakt did not accept the authorization code ({_oauth_error(response)}); "
                "codes are single-use and short-lived: open the authorization link again",
                field="code",
            )
        return self._tokens(response)

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new token pair for `refresh_token` (which Trakt then invalidates)."""
        body = {
            "refresh_token": refresh_token,
            **self._credentials(),
            "redirect_uri": OOB_REDIRECT_URI,
            "grant_type": "refresh_token",
        }
        response = self._post("/oauth/token", body, ok=(400, 401))
        if response.status_code in (400, 401):
            raise self._refused(response, "to refresh the access token")
        return self._tokens(response)

    def device_code(self) -> DeviceCode:
        """Start a device-code authorization."""
        response = self._post("/oauth/device/code", {"client_id": self._client_id})
        body = self._http.json(response)
        try:
            return DeviceCode(
                device_code=str(body["device_code"]),
                user_code=str(body["user_code"]),
                verification_url=str(body["verification_url"]),
                expires_in=int(body["expires_in"]),
                interval=max(1, int(body["interval"])),
            )
        except (KeyError, TypeError, ValueError):
            raise UpstreamUnavailable(
                "Trakt answered the device-code request unexpectedly"
            ) from None

    def poll_device_token(self, device: DeviceCode) -> TokenSet:
        """Poll every `interval` seconds until approved, refused or `expires_in` passes."""
        interval = device.interval
        started = self._clock.monotonic()
        while True:
            self._clock.sleep(interval)
            if self._clock.monotonic() - started >= device.expires_in:
                raise DeviceAuthFailed(DEVICE_FAILURES[410][1], reason="expired")
            outcome = self.poll_device_once(device)
            if outcome == "slow_down":
                interval += DEVICE_SLOW_DOWN_SECONDS
                logger.info("Trakt asked to poll more slowly; interval now %ss", interval)
            elif isinstance(outcome, TokenSet):
                return outcome

    def poll_device_once(self, device: DeviceCode) -> TokenSet | str:
        """One poll: the tokens once approved, else "pending" or "slow_down".

        Refusals (invalid, used, expired, denied) raise DeviceAuthFailed. The web flow
        calls this once per browser poll; the CLI loops through `poll_device_token`.
        """
        body = {"code": device.device_code, **self._credentials()}
        response = self._post(
            "/oauth/device/token",
            body,
            ok=(DEVICE_PENDING, DEVICE_SLOW_DOWN, 401, *DEVICE_FAILURES),
        )
        status = response.status_code
        if status == DEVICE_PENDING:
            return "pending"
        if status == DEVICE_SLOW_DOWN:
            return "slow_down"
        if status == 401:
            raise self._refused(response, "the device code")
        if status in DEVICE_FAILURES:
            reason, message = DEVICE_FAILURES[status]
            raise DeviceAuthFailed(message, reason=reason)
        return self._tokens(response)

    def revoke(self, access_token: str) -> None:
        """Tell Trakt to forget `access_token` (and with it the app connection)."""
        self._post("/oauth/revoke", {"token": access_token, **self._credentials()})


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


__all__ = [
    "DEVICE_SLOW_DOWN_SECONDS",
    "OOB_REDIRECT_URI",
    "PKCE_METHOD",
    "REFRESH_MARGIN_SECONDS",
    "DeviceAuthFailed",
    "TokenStorage",
    "TraktOAuth",
    "TraktTokenAuth",
    "code_challenge",
    "new_code_verifier",
]
