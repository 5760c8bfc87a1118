"""Trakt's OAuth endpoints on the auth host: code exchange (PKCE), refresh, device
code and token, revoke. Returns tokens, stores nothing (the httpx.Auth flow in
`trakt_auth` does).

Every OAuth request goes to `TRAKT_AUTH_URL`: Trakt asks clients not to use the API host
for them (Trakt API contract, GET /oauth/authorize, "Important"). No token, secret or
code ever appears in an exception message or log record.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import httpx

from anitrakt.clients.http import HttpClient
from anitrakt.clock import Clock
from anitrakt.domain.trakt import DeviceCode, TokenSet
from anitrakt.errors import AuthExpired, InputError, TraktAppRejected, UpstreamUnavailable

logger = logging.getLogger("anitrakt.trakt")

# The "out of band" redirect: Trakt shows the code for the person to paste (code flow).
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
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
