"""Engine and session set-up for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.errors import StoreUnavailable

SQLITE_BUSY_TIMEOUT_MS = 5000

# Errors that say the database is busy or gone (locked past the busy timeout, connection
# dropped), as opposed to a query of ours being wrong: worth a clear "try again".
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError)


def describe_db_error(exc: BaseException) -> str:
    """The driver's own first line ("database is locked"), never the SQL or its values."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def store_unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"database error: {describe_db_error(exc)}")


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while a sync writes; busy_timeout waits out short locks
    # instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url`; the SQLite file's folder is created when missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    connect_args = dict(kwargs.pop("connect_args", {}))
    # Server-side prepared statements break behind transaction poolers (Supabase port
    # 6543, PgBouncer); our queries are cheap to plan, so never prepare.
    connect_args.setdefault("prepare_threshold", None)
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values usable after commit (the caller owns transactions)."""
    return sessionmaker(engine, expire_on_commit=False)
