"""Column types that keep timestamps unambiguous on both engines.

PostgreSQL stores `TIMESTAMPTZ`. SQLite has no time zone type, so timestamps are stored
as UTC ISO-8601 text with an explicit `+00:00` offset (which also sorts correctly).
Values always come back as aware UTC datetimes, whatever the session time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

_SQLITE_STORAGE = (
    "%(year)04d-%(month)02d-%(day)02dT%(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d+00:00"
)
# len("2026-01-02T03:04:05.000006+00:00"): the storage format's own text.
_STORED_LENGTH = 32
# Also accepts what hand-written SQL tends to insert (`CURRENT_TIMESTAMP`, no fraction).
_SQLITE_PARSE = r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6})\d*)?"


class _SqliteIsoDateTime(sqlite.DATETIME):
    """SQLite DATETIME whose fraction is padded to microseconds before parsing."""

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        import re

        pattern = re.compile(_SQLITE_PARSE)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            match = pattern.match(value)
            if match is None:
                raise ValueError(f"unparsable timestamp in SQLite: {value!r}")
            parts = match.groups()
            fraction = int((parts[6] or "0").ljust(6, "0"))
            year, month, day, hour, minute, second = (int(p) for p in parts[:6])
            return datetime(year, month, day, hour, minute, second, fraction)

        return process


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An instant in time: TIMESTAMPTZ on PostgreSQL, offset-carrying ISO text on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(
                _SqliteIsoDateTime(storage_format=_SQLITE_STORAGE)  # type: ignore[no-untyped-call]
            )
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        general = super().result_processor(dialect, coltype)
        assert general is not None  # process_result_value makes one

        def process(value: str | None) -> datetime | None:
            if value is not None and len(value) == _STORED_LENGTH and value[10] == "T":
                # What we write ourselves, read by the C parser in one step: the regex and
                # a second pass cost more than the query on a page of rows (issue 18).
                try:
                    stored = datetime.fromisoformat(value)
                except ValueError:
                    pass  # the general path says what is wrong with it
                else:
                    if stored.tzinfo is UTC:
                        return stored
            moment: datetime | None = general(value)  # the regex, then process_result_value
            return moment

        return process

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TextEnum(sa.types.TypeDecorator[StrEnum]):
    """A StrEnum kept as the seed's plain text column ('manual', 'show', 'warn' …).

    Reads are lenient: text that names no member (a row edited by hand) comes back as
    `fallback` rather than failing the query.
    """

    impl = sa.Text
    cache_ok = True

    def __init__(self, enum: type[StrEnum], fallback: StrEnum | None = None) -> None:
        super().__init__()
        self._enum = enum
        self._fallback = fallback

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self._enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        if value is None:
            return None
        member = self._enum._value2member_map_.get(value)  # what Enum(value) looks up first
        if member is not None:
            return member  # type: ignore[return-value]
        try:
            return self._enum(value)
        except ValueError:
            return self._fallback

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        # The members by value, looked up without TypeDecorator's wrapper around
        # process_result_value: a page of 200 log rows is read many times a second.
        members = self._enum._value2member_map_
        lenient = self.process_result_value

        def process(value: Any) -> Any:
            member = members.get(value)
            return member if member is not None else lenient(value, dialect)

        return process


class utcnow(FunctionElement[datetime]):
    """Server-side "now" in the column's storage format, for rows inserted by hand-written SQL."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(utcnow, "postgresql")
def _utcnow_postgresql(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return "now()"


@compiles(utcnow, "sqlite")
def _utcnow_sqlite(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    # strftime('%f') is "SS.SSS": keep the milliseconds and pad them to microseconds.
    return (
        "(strftime('%Y-%m-%dT%H:%M:%S', 'now') || substr(strftime('%f', 'now'), 3) || '000+00:00')"
    )
