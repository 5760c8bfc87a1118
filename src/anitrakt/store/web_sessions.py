"""Browser sessions (`web_sessions`): add at login, look up per request, delete at logout.

Rows hold a hash of the cookie's id, never the id itself, so reading the database
gives nobody a working session. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.store.models import WebSession


def add_web_session(
    session: Session, id_hash: str, token_fingerprint: str, expires_at: datetime
) -> None:
    """Record a new login."""
    session.add(
        WebSession(id_hash=id_hash, token_fingerprint=token_fingerprint, expires_at=expires_at)
    )


def web_session_alive(
    session: Session, id_hash: str, token_fingerprint: str, now: datetime
) -> bool:
    """Whether the login exists, was made under this token and has not expired."""
    found = session.scalar(
        sa.select(sa.literal(1)).where(
            WebSession.id_hash == id_hash,
            WebSession.token_fingerprint == token_fingerprint,
            WebSession.expires_at > now,
        )
    )
    return found is not None


def delete_web_session(session: Session, id_hash: str) -> bool:
    """End one login; False when there was none."""
    result = session.execute(sa.delete(WebSession).where(WebSession.id_hash == id_hash))
    return bool(getattr(result, "rowcount", 0))


def prune_web_sessions(session: Session, token_fingerprint: str, now: datetime) -> int:
    """Delete expired logins and those of any other token; how many went."""
    result = session.execute(
        sa.delete(WebSession).where(
            sa.or_(WebSession.expires_at <= now, WebSession.token_fingerprint != token_fingerprint)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
