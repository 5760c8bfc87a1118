"""Connecting the Trakt account: the code flow (with PKCE), the device flow, its state.

The web page and the CLI call these, so both connect the same way and log the same
line. What is in progress waits in the store, not in one process's memory: the code
flow's PKCE verifier (`trakt:oauth:pending`, so a link opened from the page can be
finished from the CLI and the other way round) and the device code being polled
(`trakt:oauth:device`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from anitrakt.clients.trakt import TraktClient
from anitrakt.clients.trakt_oauth import code_challenge, new_code_verifier
from anitrakt.domain.trakt import DeviceCode, PendingAuthorization, TokenSet
from anitrakt.errors import InputError, UpstreamError
from anitrakt.store.tokens import (
    clear_pending_authorization,
    clear_pending_device,
    clear_tokens,
    load_pending_authorization,
    load_pending_device,
    load_tokens,
    save_pending_authorization,
    save_pending_device,
)
from anitrakt.usecases.container import Runtime

# A link handed out is reused for this long (a page reload must not void the link the
# person is about to open); a new one is made after.
LINK_REUSE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class TraktConnection:
    """Whether a Trakt account is connected, and which.

    `source` is `stored` (tokens from an authorization, in the database), `environment`
    (TRAKT_ACCESS_TOKEN, until a refresh stores its successor) or None. `link` is the
    code-flow authorization link, when one was asked for.
    """

    connected: bool
    source: str | None = None
    username: str | None = None
    vip: bool = False
    expires_at: float | None = None
    link: str | None = None


def _tokens_in_use(runtime: Runtime) -> tuple[TokenSet | None, str | None]:
    with runtime.sessions() as session:
        stored = load_tokens(session)
    if stored is not None:
        return stored, "stored"
    access = runtime.settings.trakt_access_token
    if access is not None and access.get_secret_value():
        return TokenSet(access.get_secret_value()), "environment"
    return None, None


def stored_connection(runtime: Runtime) -> TraktConnection:
    """Whether tokens are there to sync with (stored or TRAKT_ACCESS_TOKEN), asking nobody."""
    tokens, source = _tokens_in_use(runtime)
    if tokens is None:
        return TraktConnection(False)
    return TraktConnection(True, source, expires_at=tokens.expires_at)


def _link(runtime: Runtime, client: TraktClient) -> str:
    now = runtime.clock.time()
    with runtime.sessions.begin() as session:
        pending = load_pending_authorization(session)
        if pending is None or now - pending.created_at > LINK_REUSE_SECONDS:
            pending = PendingAuthorization(secrets.token_urlsafe(16), new_code_verifier(), now)
            save_pending_authorization(session, pending)
    runtime.events.add_secret(pending.verifier)
    return client.authorization_url(pending.state, code_challenge(pending.verifier))


def connection_status(runtime: Runtime, *, with_link: bool = False) -> TraktConnection:
    """The account the sync would use, by name when Trakt answers; optionally the link
    to connect one (code flow, PKCE challenge whose verifier waits in the store)."""
    tokens, source = _tokens_in_use(runtime)
    with runtime.trakt() as client:
        link = _link(runtime, client) if with_link else None
        if tokens is None:
            return TraktConnection(False, link=link)
        try:
            user = client.user_settings()
        except UpstreamError:
            return TraktConnection(True, source, expires_at=tokens.expires_at, link=link)
    return TraktConnection(True, source, user.username, user.vip, tokens.expires_at, link)


def authorization_link(runtime: Runtime) -> str:
    """The code-flow link for the person to open (then `connect_with_code`)."""
    with runtime.trakt() as client:
        return _link(runtime, client)


def _connected(
    runtime: Runtime, client: TraktClient, tokens: TokenSet, how: str
) -> TraktConnection:
    user = client.user_settings()
    runtime.events.info(f"Trakt connected as {user.username} ({how})")
    return TraktConnection(True, "stored", user.username, user.vip, tokens.expires_at)


def connect_with_code(runtime: Runtime, code: str) -> TraktConnection:
    """Exchange a pasted code (with the pending link's verifier) and store the tokens."""
    with runtime.sessions() as session:
        pending = load_pending_authorization(session)
    with runtime.trakt() as client:
        tokens = client.exchange_code(code, pending.verifier if pending is not None else None)
        with runtime.sessions.begin() as session:
            clear_pending_authorization(session)
        return _connected(runtime, client, tokens, "code")


def start_device_authorization(runtime: Runtime) -> DeviceCode:
    """Start the device flow: the person enters `user_code` at `verification_url`."""
    with runtime.trakt() as client:
        device = client.device_code()
    runtime.events.add_secret(device.device_code)
    with runtime.sessions.begin() as session:
        save_pending_device(session, device)
    return device


def poll_device_authorization(runtime: Runtime) -> TraktConnection | None:
    """Poll the device authorization in progress once: connected, or None (pending).

    A refusal (expired, denied, used) ends it; asking again without a new start is the
    caller's mistake.
    """
    with runtime.sessions() as session:
        device = load_pending_device(session)
    if device is None:
        raise InputError("no Trakt device authorization is in progress; start one first")
    with runtime.trakt() as client:
        try:
            tokens = client.poll_device_once(device)
        except UpstreamError:
            _forget_device(runtime)
            raise
        if tokens is None:
            return None
        _forget_device(runtime)
        return _connected(runtime, client, tokens, "device code")


def wait_for_device_authorization(runtime: Runtime, device: DeviceCode) -> TraktConnection:
    """Poll until the person approves (or the code expires), for the CLI."""
    with runtime.trakt() as client:
        try:
            tokens = client.poll_device_token(device)
        finally:
            _forget_device(runtime)
        return _connected(runtime, client, tokens, "device code")


def disconnect(runtime: Runtime) -> TraktConnection:
    """Revoke the stored tokens at Trakt and forget them; what is left connected after.

    Tokens from TRAKT_ACCESS_TOKEN are not ours to forget: the person removes them from
    the environment. When Trakt cannot be reached the tokens are forgotten anyway (and
    the log says the revoke did not happen), so a disconnect always disconnects here.
    """
    tokens, source = _tokens_in_use(runtime)
    if tokens is None:
        raise InputError("no Trakt account is connected")
    if source == "environment":
        raise InputError(
            "the Trakt tokens come from TRAKT_ACCESS_TOKEN: remove it (and "
            "TRAKT_REFRESH_TOKEN) from the environment and restart to disconnect"
        )
    with runtime.trakt() as client:
        try:
            client.revoke()
            runtime.events.info("Trakt disconnected: the token was revoked and forgotten")
        except UpstreamError as exc:
            with runtime.sessions.begin() as session:
                clear_tokens(session)
            runtime.events.warn(
                f"Trakt disconnected: the tokens were forgotten, but Trakt did not revoke "
                f"them ({exc.message}); revoke the app at trakt.tv/oauth/authorized_applications"
            )
    return stored_connection(runtime)


def _forget_device(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        clear_pending_device(session)
