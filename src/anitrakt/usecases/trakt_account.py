"""Connecting the Trakt account: the code flow (with PKCE), the device flow, its state.

The web page and the CLI call these, so both connect the same way and say the same
thing. The code flow's PKCE verifier waits in the store (`trakt:oauth:pending`) between
the link and the pasted code, so a link opened from the page can be finished from the
CLI and the other way round.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from anitrakt.clients.trakt import TraktClient
from anitrakt.clients.trakt_auth import code_challenge, new_code_verifier
from anitrakt.domain.trakt import DeviceCode, PendingAuthorization, TokenSet
from anitrakt.errors import UpstreamError
from anitrakt.store.tokens import (
    clear_pending_authorization,
    load_pending_authorization,
    load_tokens,
    save_pending_authorization,
)
from anitrakt.usecases.container import Runtime

# A link handed out is reused for this long (a page reload must not void the link the
# person is about to open); a new one is made after.
LINK_REUSE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class TraktConnection:
    """Whether a Trakt account is connected, and which.

    `source` is `stored` (tokens from an authorization, in the database), `environment`
    (TRAKT_ACCESS_TOKEN, until a refresh stores its successor) or None.
    """

    connected: bool
    source: str | None = None
    username: str | None = None
    vip: bool = False
    expires_at: float | None = None


def _tokens_in_use(runtime: Runtime) -> tuple[TokenSet | None, str | None]:
    with runtime.sessions() as session:
        stored = load_tokens(session)
    if stored is not None:
        return stored, "stored"
    access = runtime.settings.trakt_access_token
    if access is not None and access.get_secret_value():
        return TokenSet(access.get_secret_value()), "environment"
    return None, None


def connection_status(runtime: Runtime, client: TraktClient) -> TraktConnection:
    """The account the sync would use; its name when Trakt answers (else just connected)."""
    tokens, source = _tokens_in_use(runtime)
    if tokens is None:
        return TraktConnection(False)
    try:
        user = client.user_settings()
    except UpstreamError:
        return TraktConnection(True, source, expires_at=tokens.expires_at)
    return TraktConnection(True, source, user.username, user.vip, tokens.expires_at)


def authorization_link(runtime: Runtime, client: TraktClient, *, now: float) -> str:
    """The code-flow link, with a PKCE challenge whose verifier waits in the store."""
    with runtime.sessions.begin() as session:
        pending = load_pending_authorization(session)
        if pending is None or now - pending.created_at > LINK_REUSE_SECONDS:
            pending = PendingAuthorization(secrets.token_urlsafe(16), new_code_verifier(), now)
            save_pending_authorization(session, pending)
    runtime.events.add_secret(pending.verifier)
    return client.authorization_url(pending.state, code_challenge(pending.verifier))


def _connected(
    runtime: Runtime, client: TraktClient, tokens: TokenSet, how: str
) -> TraktConnection:
    user = client.user_settings()
    runtime.events.info(f"Trakt connected as {user.username} ({how})")
    return TraktConnection(True, "stored", user.username, user.vip, tokens.expires_at)


def connect_with_code(runtime: Runtime, client: TraktClient, code: str) -> TraktConnection:
    """Exchange a pasted code (with the pending link's verifier) and store the tokens."""
    with runtime.sessions() as session:
        pending = load_pending_authorization(session)
    tokens = client.exchange_code(code, pending.verifier if pending is not None else None)
    with runtime.sessions.begin() as session:
        clear_pending_authorization(session)
    return _connected(runtime, client, tokens, "code")


def start_device_authorization(client: TraktClient) -> DeviceCode:
    """Start the device flow: the person enters `user_code` at `verification_url`."""
    return client.device_code()


def poll_device_authorization(
    runtime: Runtime, client: TraktClient, device: DeviceCode
) -> TraktConnection | None:
    """Poll once: the connection once approved, else None (still pending)."""
    tokens = client.poll_device_once(device)
    return None if tokens is None else _connected(runtime, client, tokens, "device code")


def wait_for_device_authorization(
    runtime: Runtime, client: TraktClient, device: DeviceCode
) -> TraktConnection:
    """Poll until the person approves (or the code expires), for the CLI."""
    tokens = client.poll_device_token(device)
    return _connected(runtime, client, tokens, "device code")
