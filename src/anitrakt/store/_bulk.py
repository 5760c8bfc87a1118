"""Bulk inserts through each driver's own fast path, inside the caller's transaction.

A mapping-source refresh writes ~10^5 rows; SQLAlchemy's generic executemany spent most
of a refresh binding parameters. So rows go in on the session's own connection: COPY on
PostgreSQL (psycopg 3), one prepared executemany on SQLite. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def bulk_insert(
    session: Session, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert `rows` (values in `columns` order) into `table`."""
    names = ", ".join(columns)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection
        copy_sql = f"COPY {table.name} ({names}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        insert = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 - fixed names
        connection.exec_driver_sql(insert, list(rows))
