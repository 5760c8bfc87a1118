"""Trakt OAuth tokens in `system_config`, and the lock that keeps refreshes from overlapping.

Keys:

- `trakt:token` — the access token (seed key), stored as plain text.
- `trakt:refresh_token` — the refresh token (seed key), stored as plain text.
- `trakt:token:expires-at` — added by anitrakt: when the access token expires, in unix
  seconds (a JSON number). Absent when unknown (tokens stored by older versions or taken
  from `TRAKT_ACCESS_TOKEN`); such tokens are refreshed only when Trakt answers 401.
- `trakt:oauth:pending` — added by anitrakt: the code-flow link handed out last, JSON
  `{state, verifier, createdAt}`; the PKCE verifier waits here for the pasted code (the
  web page and the CLI share it) and is deleted once the code is exchanged.
- `trakt:oauth:device` — added by anitrakt: the device authorization in progress, JSON
  `{deviceCode, userCode, verificationUrl, expiresIn, interval}`, until it ends.

The three are always written together in the caller's one transaction: Trakt refresh
tokens are single-use (Trakt API contract, POST /oauth/token), so an access token saved
without its matching refresh token would strand the account.

`refresh_guard` is the cross-process half of "never let two refreshes overlap" (docs/sync.md):
it holds a database lock while a caller compares the stored refresh token with the one it
was about to spend and, only if they still match, refreshes and saves. PostgreSQL locks
the `trakt:refresh_token` row (`SELECT … FOR UPDATE`); SQLite takes the database write
lock (`BEGIN IMMEDIATE`), its only lock that excludes other writers up front.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import utc_now
from anitrakt.domain import keys
from anitrakt.domain.keys import TRAKT_REFRESH_TOKEN, TRAKT_TOKEN
from anitrakt.domain.trakt import DeviceCode, PendingAuthorization, TokenSet
from anitrakt.errors import ConflictError
from anitrakt.store._upsert import insert_for
from anitrakt.store.db import SQLITE_BUSY_TIMEOUT_MS
from anitrakt.store.models import SystemConfig
from anitrakt.store.system_config import decode_value, delete_config, get_config, set_config

TRAKT_TOKEN_EXPIRES_AT = keys.TRAKT_TOKEN_EXPIRES_AT
TOKEN_KEYS = (TRAKT_TOKEN, TRAKT_REFRESH_TOKEN, TRAKT_TOKEN_EXPIRES_AT)
PENDING_AUTHORIZATION = keys.TRAKT_PENDING_AUTHORIZATION
PENDING_DEVICE = keys.TRAKT_PENDING_DEVICE
# A refresh is one HTTP round trip (plus bounded retries); a waiter gives up after this
# long instead of hanging a sync forever behind a stuck process.
REFRESH_LOCK_TIMEOUT_SECONDS = 60.0


def _text(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _legacy_object(text: str) -> TokenSet | None:
    """A whole OAuth response stored as JSON under `trakt:token` by older tooling."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        return None
    created = _number(body.get("created_at"))
    lifetime = _number(body.get("expires_in"))
    refresh = body.get("refresh_token")
    return TokenSet(
        access_token=body["access_token"],
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_at=created + lifetime if created is not None and lifetime is not None else None,
        created_at=created,
    )


def load_tokens(session: Session) -> TokenSet | None:
    """The stored tokens, or None when no access token is stored.

    Tokens are read as raw text, not through the JSON-first rule of `system_config`:
    a token that happens to parse as a JSON number must not come back as one.
    """
    result = session.execute(
        sa.select(SystemConfig.key, SystemConfig.value).where(SystemConfig.key.in_(TOKEN_KEYS))
    )
    rows: dict[str, str | None] = {key: value for key, value in result}  # noqa: C416
    access = _text(rows.get(TRAKT_TOKEN))
    if access is None:
        return None
    refresh = _text(rows.get(TRAKT_REFRESH_TOKEN))
    if access.startswith("{"):
        legacy = _legacy_object(access)
        if legacy is not None:
            return (
                legacy
                if refresh is None
                else TokenSet(legacy.access_token, refresh, legacy.expires_at, legacy.created_at)
            )
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=_number(decode_value(rows.get(TRAKT_TOKEN_EXPIRES_AT))),
    )


def save_tokens(session: Session, tokens: TokenSet) -> None:
    """Write access token, refresh token and expiry together (the caller commits)."""
    set_config(session, TRAKT_TOKEN, tokens.access_token)
    if tokens.refresh_token:
        set_config(session, TRAKT_REFRESH_TOKEN, tokens.refresh_token)
    else:
        delete_config(session, TRAKT_REFRESH_TOKEN)
    if tokens.expires_at is not None:
        set_config(session, TRAKT_TOKEN_EXPIRES_AT, tokens.expires_at)
    else:
        delete_config(session, TRAKT_TOKEN_EXPIRES_AT)


def clear_tokens(session: Session) -> None:
    """Forget the stored tokens (after a revoke)."""
    session.execute(sa.delete(SystemConfig).where(SystemConfig.key.in_(TOKEN_KEYS)))


def save_pending_authorization(session: Session, pending: PendingAuthorization) -> None:
    """Remember the link just handed out (replacing any older one; the caller commits)."""
    set_config(
        session,
        PENDING_AUTHORIZATION,
        {"state": pending.state, "verifier": pending.verifier, "createdAt": pending.created_at},
    )


def load_pending_authorization(session: Session) -> PendingAuthorization | None:
    """The link handed out last and not yet used, if any."""
    value = get_config(session, PENDING_AUTHORIZATION)
    if not isinstance(value, dict):
        return None
    state, verifier, created = value.get("state"), value.get("verifier"), value.get("createdAt")
    if not isinstance(state, str) or not isinstance(verifier, str):
        return None
    return PendingAuthorization(state, verifier, float(_number(created) or 0.0))


def clear_pending_authorization(session: Session) -> None:
    delete_config(session, PENDING_AUTHORIZATION)


def save_pending_device(session: Session, device: DeviceCode) -> None:
    """Remember the device authorization in progress (the caller commits)."""
    set_config(
        session,
        PENDING_DEVICE,
        {
            "deviceCode": device.device_code,
            "userCode": device.user_code,
            "verificationUrl": device.verification_url,
            "expiresIn": device.expires_in,
            "interval": device.interval,
        },
    )


def load_pending_device(session: Session) -> DeviceCode | None:
    """The device authorization in progress, if any."""
    value = get_config(session, PENDING_DEVICE)
    if not isinstance(value, dict):
        return None
    try:
        return DeviceCode(
            device_code=str(value["deviceCode"]),
            user_code=str(value["userCode"]),
            verification_url=str(value["verificationUrl"]),
            expires_in=int(value["expiresIn"]),
            interval=int(value["interval"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def clear_pending_device(session: Session) -> None:
    delete_config(session, PENDING_DEVICE)


@dataclass
class HeldTokens:
    """What `refresh_guard` yields: the locked session and the tokens stored right now."""

    session: Session
    current: TokenSet | None

    def save(self, tokens: TokenSet) -> None:
        """Save `tokens` in the guard's transaction (committed when the guard exits)."""
        save_tokens(self.session, tokens)
        self.current = tokens


def _lock_sqlite(session: Session, timeout: float) -> None:
    connection = session.connection()
    # pysqlite opens transactions lazily (DEFERRED, at the first write), which would let
    # two processes both read the old refresh token. An explicit BEGIN IMMEDIATE takes
    # the write lock now; pysqlite then sees a transaction in progress and the session's
    # commit/rollback end it. A longer busy_timeout makes the waiter queue behind a
    # refresh in progress rather than fail after the engine's usual few seconds.
    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _lock_postgresql(session: Session, timeout: float) -> None:
    session.execute(sa.text(f"SET LOCAL lock_timeout = '{int(timeout * 1000)}ms'"))
    # FOR UPDATE needs a row to lock; create an empty one the first time. A concurrent
    # insert of the same key waits on the unique index, so this serialises as well.
    session.execute(
        insert_for(session, SystemConfig)
        .values(key=TRAKT_REFRESH_TOKEN, value=None, updated_at=utc_now())
        .on_conflict_do_nothing(index_elements=["key"])
    )
    session.execute(
        sa.select(SystemConfig.key).where(SystemConfig.key == TRAKT_REFRESH_TOKEN).with_for_update()
    )


def _is_lock_timeout(exc: OperationalError) -> bool:
    # SQLite: "database is locked" after busy_timeout; PostgreSQL: SQLSTATE 55P03
    # (lock_not_available) after lock_timeout.
    return "locked" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "55P03"


@contextmanager
def refresh_guard(
    sessions: sessionmaker[Session], *, timeout: float = REFRESH_LOCK_TIMEOUT_SECONDS
) -> Iterator[HeldTokens]:
    """Hold the token lock in a transaction of its own; commit on success, else roll back.

    Use: compare `held.current.refresh_token` with the token you were about to spend; if
    they differ another process already refreshed, so use `held.current`. Otherwise
    refresh and `held.save(new)`. Raises ConflictError when the lock is not free within
    `timeout` seconds.
    """
    with sessions() as session:
        try:
            if session.get_bind().dialect.name == "sqlite":
                _lock_sqlite(session, timeout)
            else:
                _lock_postgresql(session, timeout)
        except OperationalError as exc:
            session.rollback()
            if not _is_lock_timeout(exc):
                raise
            raise ConflictError(
                "another anitrakt process is refreshing the Trakt token; try again shortly"
            ) from None
        held = HeldTokens(session, load_tokens(session))
        try:
            yield held
        except BaseException:
            session.rollback()
            raise
        session.commit()


class SqlTokenStore:
    """Token persistence over a session factory: what the Trakt client is given."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def load(self) -> TokenSet | None:
        with self._sessions() as session:
            return load_tokens(session)

    def locked(self) -> AbstractContextManager[HeldTokens]:
        """`refresh_guard` over this store's database."""
        return refresh_guard(self._sessions)

    def clear(self) -> None:
        with self._sessions.begin() as session:
            clear_tokens(session)
