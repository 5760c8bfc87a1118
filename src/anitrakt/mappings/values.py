"""Lenient readers for single values of a mapping source.

Sources are third-party files: an id may be a number, numeric text, a comma-separated
list in one string, a list, or garbage. Each reader returns a value we can store or
None — never raises — so one odd field costs that field, not the refresh. Ranges match
the columns (BIGINT ids, INTEGER seasons/offsets), so a value can never overflow a
PostgreSQL insert.
"""

from __future__ import annotations

import re
from typing import Any

# Ids are stored as BIGINT.
MAX_ID = 2**63 - 1
# Seasons past this are certainly wrong (One Piece has ~22); offsets likewise.
MAX_SEASON = 1000
MAX_OFFSET = 100_000
# Longest media type we keep ("TV", "MOVIE", "TV_SHORT", "SPECIAL", …).
MAX_MEDIA_TYPE_LENGTH = 32
_MAX_ID_DIGITS = len(str(MAX_ID))
_IMDB_ID = re.compile(r"tt\d{1,12}")


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        if digits.isascii() and digits.isdigit() and len(digits) <= _MAX_ID_DIGITS:
            return int(text)
    return None


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
    number = _integer(value)
    return number if number is not None and 0 < number <= MAX_ID else None


def season_number(value: Any) -> int | None:
    """A season number 0 (specials) … MAX_SEASON."""
    number = _integer(value)
    return number if number is not None and 0 <= number <= MAX_SEASON else None


def episode_offset(value: Any) -> int | None:
    """An episode offset within ±MAX_OFFSET (Fribb has a few negative ones)."""
    number = _integer(value)
    return number if number is not None and -MAX_OFFSET <= number <= MAX_OFFSET else None


def imdb_id(value: Any) -> str | None:
    """The first `tt…` id of a string, a "tt1,tt2" string or a list."""
    if isinstance(value, list):
        return next((i for i in map(imdb_id, value) if i is not None), None)
    if not isinstance(value, str):
        return None
    for part in value.split(","):
        text = part.strip()
        if _IMDB_ID.fullmatch(text):
            return text
    return None


def media_type(value: Any) -> str | None:
    """An upper-case media type such as TV or MOVIE."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    return text if 0 < len(text) <= MAX_MEDIA_TYPE_LENGTH else None
