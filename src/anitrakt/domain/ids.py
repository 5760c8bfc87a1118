"""Ids and whole numbers as anitrakt accepts them: one home for the bounds and forms.

Two readers: `whole_number` for what a person typed (strict: an InputError names the
field) and `lenient_int` for third-party data (never raises: a value it cannot use is
None). Both accept ASCII digits only — `'²'.isdigit()` is True, `int('²')` is not — and
never a number larger than the BIGINT columns hold.
"""

from __future__ import annotations

import re
from typing import Any

from anitrakt.errors import InputError

# Ids are stored as BIGINT; anything larger is a typo, not an id.
MAX_ID = 2**63 - 1
# A season or offset past these is certainly a mistake (One Piece has ~22 seasons).
MAX_SEASON = 1000
MAX_OFFSET = 100_000
# Show-absolute episode numbers (One Piece is past 1,100).
MAX_EPISODE = 100_000
# An IMDb id: `tt` and up to 12 digits.
IMDB_ID = re.compile(r"tt\d{1,12}")
_MAX_DIGITS = len(str(MAX_ID))
_ANILIST_URL = re.compile(r"^(?:https?://)?(?:www\.)?anilist\.co/anime/(\d+)(?:[/?#].*)?$", re.I)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS


def lenient_int(value: Any) -> int | None:
    """An int from an int, a whole float or (signed) ASCII digit text; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if _digits(text.removeprefix("-")):
            return int(text)
    return None


def whole_number(value: Any, field: str, *, minimum: int, maximum: int, what: str) -> int:
    """`value` as a whole number in [minimum, maximum], or InputError("field must be what")."""
    if isinstance(value, str):
        number = int(value.strip()) if _digits(value.strip()) else None
    elif isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        number = None
    if number is None or not minimum <= number <= maximum:
        raise InputError(f"{field} must be {what}", field=field)
    return number


def parse_positive_id(value: Any, field: str) -> int:
    """A positive integer id from a number or numeric text."""
    return whole_number(value, field, minimum=1, maximum=MAX_ID, what="a positive integer")


def parse_anilist_id(value: Any, field: str = "anilistId") -> int:
    """An AniList id from a number, numeric text or an AniList anime URL."""
    if isinstance(value, str):
        match = _ANILIST_URL.match(value.strip())
        if match:
            return parse_positive_id(match.group(1), field)
        if value.strip() and not _digits(value.strip()):
            raise InputError(
                f"{field} must be a positive integer or an AniList URL such as "
                "https://anilist.co/anime/21/one-piece/",
                field=field,
            )
    return parse_positive_id(value, field)


def parse_imdb_id(value: Any, field: str = "imdbId") -> str:
    """An IMDb id of the form tt1234567."""
    text = value.strip() if isinstance(value, str) else ""
    if not IMDB_ID.fullmatch(text):
        raise InputError(f"{field} must look like tt0123456", field=field)
    return text


def search_number(text: str) -> int | None:
    """The id a search term names (ASCII digits that fit an id), else None: a title."""
    term = text.strip()
    return int(term) if _digits(term) and 0 < int(term) <= MAX_ID else None
