"""INSERT … ON CONFLICT for whichever engine the session is bound to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_for(session: Session, model: type[DeclarativeBase]) -> Any:
    """The dialect's own `insert()`, which knows `on_conflict_do_update`."""
    if session.get_bind().dialect.name == "postgresql":
        # Imported here: a SQLite process never loads the PostgreSQL dialect (2 MB).
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    return sqlite.insert(model)
