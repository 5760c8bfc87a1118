"""Lenient readers for single values of a mapping source.

Sources are third-party files: an id may be a number, numeric text, a comma-separated
list in one string, a list, or garbage. Each reader returns a value we can store or
None — never raises — so one odd field costs that field, not the refresh. Ranges match
the columns (BIGINT ids, INTEGER seasons/offsets), so a value can never overflow a
PostgreSQL insert.
"""

from __future__ import annotations

from typing import Any

from anitrakt.domain.ids import IMDB_ID, MAX_ID, MAX_OFFSET, MAX_SEASON, lenient_int

# Longest media type we keep ("TV", "MOVIE", "TV_SHORT", "SPECIAL", …).
MAX_MEDIA_TYPE_LENGTH = 32


def positive_id(value: Any) -> int | None:
    """A BIGINT-sized positive id; the first usable one of a list or of "1,2,3" text."""
    # Fast paths first: a refresh calls this ~130k times, almost always with int or None.
    if value is None:
        return None
    if type(value) is int:
        return value if 0 < value <= MAX_ID else None
    if isinstance(value, list):
        # One level only: a nested list is not an id, and recursing into it would let a
        # deeply nested entry raise RecursionError.
        ids = (positive_id(v) for v in value if not isinstance(v, list))
        return next((n for n in ids if n is not None), None)
    if isinstance(value, str) and "," in value:
        return positive_id(value.split(","))
    number = lenient_int(value)
    return number if number is not None and 0 < number <= MAX_ID else None


def season_number(value: Any) -> int | None:
    """A season number 0 (specials) … MAX_SEASON."""
    number = lenient_int(value)
    return number if number is not None and 0 <= number <= MAX_SEASON else None


def episode_offset(value: Any) -> int | None:
    """An episode offset within ±MAX_OFFSET (Fribb has a few negative ones)."""
    number = lenient_int(value)
    return number if number is not None and -MAX_OFFSET <= number <= MAX_OFFSET else None


def imdb_id(value: Any) -> str | None:
    """The first `tt…` id of a string, a "tt1,tt2" string or a list."""
    if isinstance(value, list):
        return next((i for i in map(imdb_id, value) if i is not None), None)
    if not isinstance(value, str):
        return None
    for part in value.split(","):
        text = part.strip()
        if IMDB_ID.fullmatch(text):
            return text
    return None


def media_type(value: Any) -> str | None:
    """An upper-case media type such as TV or MOVIE."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    return text if 0 < len(text) <= MAX_MEDIA_TYPE_LENGTH else None
