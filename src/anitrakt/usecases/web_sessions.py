"""Browser logins kept server-side (`web_sessions`), for the web edge's session cookie.

The edge hands in hashes only: the cookie's random id and the API token never reach the
store. A login ends at logout, at expiry, and when the token changes (every row holds a
fingerprint of the token it was made under).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from anitrakt.store.web_sessions import (
    add_web_session,
    delete_web_session,
    prune_web_sessions,
    web_session_alive,
)
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.database import DATABASE_ERRORS

logger = logging.getLogger("anitrakt.web")


def start_login(runtime: Runtime, id_hash: str, fingerprint: str, lifetime: timedelta) -> None:
    """Record a new login (and drop expired ones and those of another token)."""
    now = runtime.now()
    with runtime.sessions.begin() as session:
        prune_web_sessions(session, fingerprint, now)
        add_web_session(session, id_hash, fingerprint, now + lifetime)


def login_alive(runtime: Runtime, id_hash: str, fingerprint: str) -> bool:
    """Whether the login exists, was made under this token and has not expired."""
    with runtime.sessions() as session:
        return web_session_alive(session, id_hash, fingerprint, runtime.now())


def end_login(runtime: Runtime, id_hash: str) -> None:
    """Log out: the row goes, so a copied cookie stops working too."""
    with runtime.sessions.begin() as session:
        delete_web_session(session, id_hash)


def forget_other_logins(runtime: Runtime, fingerprint: str) -> None:
    """At start-up: drop expired logins and every one made under another token, so going
    back to an old token revives none. A database that cannot do it yet (not migrated,
    busy) must not stop start-up."""
    try:
        with runtime.sessions.begin() as session:
            prune_web_sessions(session, fingerprint, runtime.now())
    except DATABASE_ERRORS as exc:
        logger.warning("could not prune old browser sessions: %s", type(exc).__name__)
