"""The fake Trakt's OAuth host, and the token helpers tests use to skip the dance.

Grants: authorization code and refresh token (a refresh token is single-use, "invalidates
the previous one"); the device flow answers polls with the documented status codes
(200/400/404/409/410/418/429); revoke follows RFC 7009. Errors are JSON
`{error, error_description}`.

Client authentication as of 2026-10 (trakt/trakt-api guides/pkce.md, the contract marking
`client_secret` deprecated for sign-in): a code from an authorize request with a PKCE
`code_challenge` (S256) is exchanged with its `code_verifier`, the secret optional; a code
without one needs the secret. Refresh, device polls and revoke take the secret when sent
(a wrong one is `invalid_client`) and work without it, unless `require_client_secret`
models an app that still needs it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from fakes.faults import RecordedRequest

from .answers import _Ctx, _empty
from .model import _DeviceCode, _Token
from .state import TraktState

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


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


class OAuthServer(TraktState):
    """OAuth part of `FakeTrakt`: the /oauth/* routes, and `issue_tokens`,
    `expire_access_token`, `revoke_tokens`, `create_authorization_code`,
    `approve_device` / `deny_device` and the token and device views for tests."""

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

    def create_authorization_code(self, challenge: str | None = None) -> str:
        """A code as Trakt would hand the user after they approve the app (single-use);
        with `challenge`, only its S256 verifier can exchange it."""
        with self._lock:
            code = secrets.token_hex(16)
            self._codes[code] = (self.clock(), challenge)
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

    # ------------------------------------------------------------------ OAuth routes

    def _client_ok(self, params: Mapping[str, str], *, secret: bool = True) -> bool:
        """The client id is ours, and the secret right when sent (or required)."""
        if params.get("client_id") != self.client_id:
            return False
        if not secret:
            return True
        given = params.get("client_secret")
        if given is None:
            return not self.require_client_secret
        return given == self.client_secret

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
            issued, challenge = self._codes.get(code, (None, None))
            if challenge is None and "client_secret" not in params:
                # A code without PKCE proves nothing by itself: the app must authenticate.
                return _oauth_error(401, "invalid_client", INVALID_CLIENT)
            self._codes.pop(code, None)
            if issued is None or now - issued > AUTHORIZATION_CODE_LIFETIME:
                return _oauth_error(400, "invalid_grant", INVALID_GRANT)
            if redirect != self.redirect_uri:
                return _oauth_error(400, "invalid_grant", INVALID_GRANT)
            if challenge is not None and s256(params.get("code_verifier", "")) != challenge:
                self.pkce_failures += 1
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
        challenge = query.get("code_challenge")
        if challenge is not None and query.get("code_challenge_method") != "S256":
            return _oauth_error(400, "invalid_request", "code_challenge_method must be S256")
        code = self.create_authorization_code(challenge)
        if self.redirect_uri == OOB_REDIRECT_URI:
            return HTMLResponse(f'<html><body><code id="code">{code}</code></body></html>')
        extra = {"state": query["state"]} if "state" in query else {}
        target = f"{self.redirect_uri}?{urlencode({'code': code, **extra})}"
        return RedirectResponse(target, status_code=302)


def s256(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)), no padding."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _oauth_params(req: RecordedRequest) -> dict[str, str]:
    """OAuth bodies are JSON per the docs; form bodies are accepted too, as Trakt does."""
    if isinstance(req.json, dict):
        return {str(k): str(v) for k, v in req.json.items() if v is not None}
    try:
        text = req.body.decode()
    except UnicodeDecodeError:
        return {}
    return dict(parse_qsl(text))
