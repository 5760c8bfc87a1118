"""Manual mappings: parse what a person typed or pasted, validate it, save it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from anitrakt.domain.values import IdMapping, TraktType
from anitrakt.errors import InputError
from anitrakt.store.mappings import get_mapping, save_mapping
from anitrakt.store.models import Mapping

_ANILIST_URL = re.compile(r"^(?:https?://)?(?:www\.)?anilist\.co/anime/(\d+)(?:[/?#].*)?$", re.I)
_IMDB_ID = re.compile(r"^tt\d+$")
# Ids are stored as BIGINT; anything larger is a typo, not an id.
MAX_ID = 2**63 - 1
# A season or offset past this is certainly a mistake (One Piece has ~22 seasons).
MAX_SEASON = 1000
MAX_OFFSET = 100_000


def _integer(value: Any, field: str, *, minimum: int, maximum: int, what: str) -> int:
    if isinstance(value, bool):
        raise InputError(f"{field} must be {what}", field=field)
    whole_float = isinstance(value, float) and value.is_integer()
    digits = isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value)
    if isinstance(value, int) or whole_float or digits:
        number = int(value)
    else:
        raise InputError(f"{field} must be {what}", field=field)
    if not minimum <= number <= maximum:
        raise InputError(f"{field} must be {what}", field=field)
    return number


def parse_positive_id(value: Any, field: str) -> int:
    """A positive integer id from a number or numeric text."""
    return _integer(value, field, minimum=1, maximum=MAX_ID, what="a positive integer")


def parse_anilist_id(value: Any, field: str = "anilistId") -> int:
    """An AniList id from a number, numeric text or an AniList anime URL."""
    if isinstance(value, str):
        match = _ANILIST_URL.match(value.strip())
        if match:
            return parse_positive_id(match.group(1), field)
        if value.strip() and not value.strip().isdigit():
            raise InputError(
                f"{field} must be a positive integer or an AniList URL such as "
                "https://anilist.co/anime/21/one-piece/",
                field=field,
            )
    return parse_positive_id(value, field)


def parse_imdb_id(value: Any, field: str = "imdbId") -> str:
    """An IMDb id of the form tt1234567."""
    text = value.strip() if isinstance(value, str) else ""
    if not _IMDB_ID.match(text):
        raise InputError(f"{field} must look like tt0123456", field=field)
    return text


def _season(value: Any) -> int:
    return _integer(value, "season", minimum=0, maximum=MAX_SEASON, what="a season number 0–1000")


def _offset(value: Any) -> int:
    return _integer(value, "offset", minimum=0, maximum=MAX_OFFSET, what="an offset 0–100000")


def _optional(raw: dict[str, Any], field: str) -> Any:
    value = raw.get(field)
    return None if value is None or value == "" else value


@dataclass(frozen=True, slots=True)
class ManualMappingInput:
    """The fields of a manual mapping, as a person gives them (ids may be URLs or text)."""

    anilist_id: Any
    trakt_id: Any
    tmdb_id: Any = None
    imdb_id: Any = None
    tvdb_id: Any = None
    season: Any = None
    offset: Any = None
    movie: bool = False

    def validate(self) -> IdMapping:
        """The mapping these fields describe, or an InputError naming the first bad field."""
        raw = {
            "anilistId": self.anilist_id,
            "traktId": self.trakt_id,
            "tmdbId": self.tmdb_id,
            "imdbId": self.imdb_id,
            "tvdbId": self.tvdb_id,
            "season": self.season,
            "offset": self.offset,
        }
        for required in ("anilistId", "traktId"):
            if _optional(raw, required) is None:
                raise InputError(f"{required} is required", field=required)
        tmdb, imdb, tvdb = (_optional(raw, f) for f in ("tmdbId", "imdbId", "tvdbId"))
        season, offset = _optional(raw, "season"), _optional(raw, "offset")
        return IdMapping(
            anilist_id=parse_anilist_id(raw["anilistId"]),
            trakt_id=parse_positive_id(raw["traktId"], "traktId"),
            tmdb_id=None if tmdb is None else parse_positive_id(tmdb, "tmdbId"),
            imdb_id=None if imdb is None else parse_imdb_id(imdb),
            tvdb_id=None if tvdb is None else parse_positive_id(tvdb, "tvdbId"),
            manual=True,
            trakt_type=TraktType.MOVIE if self.movie else TraktType.SHOW,
            trakt_season=None if season is None else _season(season),
            episode_offset=None if offset is None else _offset(offset),
        )


def save_manual_mapping(session: Session, given: ManualMappingInput) -> Mapping:
    """Validate and store a manual mapping (replacing any earlier row); returns the stored row."""
    mapping = given.validate()
    save_mapping(session, mapping)
    session.flush()
    row = get_mapping(session, mapping.anilist_id)
    assert row is not None  # just written in this transaction
    session.refresh(row)
    return row
