"""Otaku-Mappings' `anime_mappings.db`: validate the downloaded SQLite file and read it.

The file is written to a private temporary directory and opened read-only and
immutable, so nothing in it can write anywhere. Only table `anime` is required, with
an `anilist_id` column; every other column is optional (older and newer files differ)
and reads as NULL when absent. `activities.last_updated` (unix seconds) becomes
`status:otaku:last-activity`. The work is bounded: the download cap, `MAX_ENTRIES`
rows, and a wall-clock budget enforced by SQLite's progress handler (a crafted file
could make `anime` expensive to scan).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from anitrakt.domain.mapping_source import ParsedSource, SourceEntry, TmdbKind
from anitrakt.domain.values import SourceName
from anitrakt.errors import MappingSourceError
from anitrakt.mappings import values

SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_ENTRIES = 500_000
# Reading the real file takes well under a second; a file that takes longer is hostile.
MAX_READ_SECONDS = 60.0
# How many SQLite VM steps between deadline checks.
PROGRESS_HANDLER_STEPS = 10_000
# Columns read from `anime`; only anilist_id must exist.
REQUIRED_COLUMN = "anilist_id"
OPTIONAL_COLUMNS = (
    "thetvdb_id",
    "themoviedb_id",
    "imdb_id",
    "trakt_id",
    "anime_media_type",
    "global_media_type",
    "thetvdb_season",
    "thetvdb_part",
    "mal_id",
    "anidb_id",
)


def _fail(reason: str) -> MappingSourceError:
    return MappingSourceError(SourceName.OTAKU.label, reason)


@contextmanager
def _open_read_only(data: bytes, deadline: float) -> Iterator[sqlite3.Connection]:
    with tempfile.TemporaryDirectory(prefix="anitrakt-otaku-") as folder:
        path = Path(folder) / "anime_mappings.db"
        path.write_bytes(data)
        uri = f"{path.as_uri()}?mode=ro&immutable=1"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            connection.set_progress_handler(
                lambda: int(time.monotonic() > deadline), PROGRESS_HANDLER_STEPS
            )
            yield connection


def _table_columns(connection: sqlite3.Connection, table: str) -> set[str]:
    kind = connection.execute(
        "SELECT type FROM sqlite_master WHERE name = ? COLLATE NOCASE", (table,)
    ).fetchone()
    if kind is None or kind[0] != "table":
        return set()
    return {str(row[1]).lower() for row in connection.execute(f'PRAGMA table_info("{table}")')}


def _tmdb_kind(media_type: str | None, global_type: str | None) -> TmdbKind:
    movie = media_type == "MOVIE" or global_type == "MOVIE"
    return TmdbKind.MOVIE if movie else TmdbKind.TV


def _entry(row: dict[str, Any], anilist_id: int) -> SourceEntry:
    media_type = values.media_type(row["anime_media_type"])
    tmdb = values.positive_id(row["themoviedb_id"])
    return SourceEntry(
        anilist_id=anilist_id,
        tvdb_id=values.positive_id(row["thetvdb_id"]),
        tmdb_id=tmdb,
        tmdb_kind=None
        if tmdb is None
        else _tmdb_kind(media_type, values.media_type(row["global_media_type"])),
        imdb_id=values.imdb_id(row["imdb_id"]),
        mal_id=values.positive_id(row["mal_id"]),
        anidb_id=values.positive_id(row["anidb_id"]),
        media_type=media_type,
        season=values.season_number(row["thetvdb_season"]),
        trakt_id=values.positive_id(row["trakt_id"]),
        tvdb_part=values.season_number(row["thetvdb_part"]),
    )


def _last_activity(connection: sqlite3.Connection) -> int | None:
    if "last_updated" not in _table_columns(connection, "activities"):
        return None
    newest = connection.execute("SELECT MAX(last_updated) FROM activities").fetchone()
    return values.positive_id(newest[0] if newest else None)


def _read(connection: sqlite3.Connection, max_entries: int) -> ParsedSource:
    columns = _table_columns(connection, "anime")
    if not columns:
        raise _fail("the database has no `anime` table")
    if REQUIRED_COLUMN not in columns:
        raise _fail("the `anime` table has no `anilist_id` column")
    missing = tuple(name for name in OPTIONAL_COLUMNS if name not in columns)
    selected = ", ".join(
        f"NULL AS {name}" if name in missing else name
        for name in (REQUIRED_COLUMN, *OPTIONAL_COLUMNS)
    )
    cursor = connection.execute(
        f"SELECT {selected} FROM anime WHERE anilist_id IS NOT NULL LIMIT ?",  # noqa: S608 - fixed names
        (max_entries + 1,),
    )
    names = [description[0] for description in cursor.description]
    entries: dict[int, SourceEntry] = {}
    skipped = rows = 0
    for values_row in cursor:
        rows += 1
        if rows > max_entries:
            raise _fail(f"the `anime` table has more than the {max_entries} rows allowed")
        row = dict(zip(names, values_row, strict=True))
        anilist_id = values.positive_id(row[REQUIRED_COLUMN])
        if anilist_id is None:
            skipped += 1
            continue
        entry = _entry(row, anilist_id)
        earlier = entries.get(anilist_id)
        # Several rows can share an AniList id (dubs, parts); the one with a Trakt id is
        # the one the resolver can use, else the first.
        if earlier is None or (earlier.trakt_id is None and entry.trakt_id is not None):
            entries[anilist_id] = entry
        else:
            skipped += 1
    if not entries:
        raise _fail("the `anime` table has no row with an anilist_id")
    return ParsedSource(
        entries=tuple(entries.values()),
        shape="sqlite",
        skipped=skipped,
        missing_columns=missing,
        last_activity=_last_activity(connection),
    )


def parse_otaku(
    data: bytes, *, max_entries: int = MAX_ENTRIES, max_seconds: float = MAX_READ_SECONDS
) -> ParsedSource:
    """Validate a downloaded Otaku database and normalise its AniList rows."""
    if not data:
        raise _fail("the download is empty")
    if not data.startswith(SQLITE_MAGIC):
        head = data[:64].lstrip()
        what = "an HTML page" if head.startswith(b"<") else "not a SQLite database"
        raise _fail(f"the download is {what}")
    deadline = time.monotonic() + max_seconds
    try:
        with _open_read_only(data, deadline) as connection:
            return _read(connection, max_entries)
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise _fail(f"reading the database took longer than {max_seconds:g}s") from None
        raise _fail(f"the database cannot be read ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise _fail(f"the database is damaged or truncated ({exc})") from None
