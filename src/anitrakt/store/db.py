"""Engine and session set-up for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.errors import StoreUnavailable

SQLITE_BUSY_TIMEOUT_MS = 5000
# The SQLite file holds the Trakt tokens: only its owner may read it, or list its folder.
DATA_DIR_MODE = 0o700
DATABASE_FILE_MODE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO

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


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def _create_private(path: Path) -> None:
    """The folder (0700) and the empty database file (0600), when they are missing."""
    if not path.parent.exists():
        path.parent.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    if not path.exists():
        # SQLite would create it with the umask's 0644; an empty file is an empty database,
        # and SQLite gives its -wal and -shm files the database's own mode.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, DATABASE_FILE_MODE))


def sqlite_exposure(url: str, data_dir: Path) -> list[str]:
    """Warnings for an existing SQLite database (or data folder) other users can open."""
    path = _sqlite_path(url)
    if path is None:
        return []
    checks = [(path.with_name(path.name + suffix), "600") for suffix in ("", "-wal", "-shm")]
    if path.parent.resolve() == data_dir.resolve():  # another folder may be shared on purpose
        checks.insert(0, (path.parent, "700"))
    warnings = []
    for target, fix in checks:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            continue
        if mode & _OTHERS:
            warnings.append(
                f"{target} is open to other users (mode {mode:o}) and it holds the Trakt "
                f"tokens; run: chmod {fix} {target}"
            )
    return warnings


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url`; a missing SQLite file and folder are created private."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path is not None:
            _create_private(path)
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
