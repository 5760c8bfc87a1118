"""The fake Trakt's records and the value types tests declare and read.

`FakeEpisode` (what a test declares) and `Play` (what history holds) are public;
`_Show`, `_Season`, `_Episode` and `_Movie` are the fake's catalog, looked up by Trakt's
id kinds (`getattr_id`); `_Token` and `_DeviceCode` are its OAuth records. Dates are
Trakt's format (`iso_utc`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

EPOCH_ISO = "1970-01-01T00:00:00.000Z"


def iso_utc(moment: float) -> str:
    """Trakt's date format: UTC, milliseconds, `Z` (apiary intro, "Dates")."""
    when = datetime.fromtimestamp(moment, UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z"


def normalise_watched_at(value: str) -> str | None:
    """A `watched_at` as Trakt stores it, the keywords kept; None when it cannot be parsed.

    Trakt keeps play times to the minute (2026): seconds and fractions are dropped.
    """
    if value in ("released", "unknown"):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return iso_utc(parsed.timestamp() // 60 * 60)


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "untitled"


# ---------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class FakeEpisode:
    """One episode as a test declares it; unset ids stay null, the Trakt id is auto-assigned."""

    number: int
    number_abs: int | None = None
    trakt_id: int | None = None
    title: str | None = None
    tvdb: int | None = None
    tmdb: int | None = None
    imdb: str | None = None
    first_aired: str | None = None


@dataclass(frozen=True)
class Play:
    """One play in the fake account's history (Trakt keeps every one, duplicates included)."""

    kind: Literal["episode", "movie"]
    trakt_id: int
    show_trakt_id: int | None
    season: int | None
    number: int | None
    watched_at: str
    added_at: str = field(default="", compare=False)


@dataclass(frozen=True)
class _Listed:
    """One watchlist item: a show or a movie, when it was listed, its list item id."""

    kind: Literal["show", "movie"]
    trakt_id: int
    listed_at: str
    id: int


# ------------------------------------------------------------------------ catalog records


@dataclass
class _Episode:
    show_trakt_id: int
    season: int
    number: int
    number_abs: int | None
    trakt_id: int
    title: str
    tvdb: int | None
    tmdb: int | None
    imdb: str | None
    first_aired: str | None


@dataclass
class _Season:
    number: int
    trakt_id: int
    episodes: list[_Episode]

    def episode(self, number: Any) -> _Episode | None:
        for episode in self.episodes:
            if _same_id(number, episode.number):
                return episode
        return None


@dataclass
class _Show:
    trakt_id: int
    title: str
    slug: str
    year: int | None
    tvdb: int | None
    tmdb: int | None
    imdb: str | None
    seasons: dict[int, _Season]

    def ids(self) -> dict[str, Any]:
        return {
            "trakt": self.trakt_id,
            "slug": self.slug,
            "tvdb": self.tvdb,
            "imdb": self.imdb,
            "tmdb": self.tmdb,
        }

    def regular_episodes(self) -> list[_Episode]:
        return [ep for n in sorted(self.seasons) if n >= 1 for ep in self.seasons[n].episodes]


@dataclass
class _Movie:
    trakt_id: int
    title: str
    slug: str
    year: int | None
    tmdb: int | None
    imdb: str | None

    def ids(self) -> dict[str, Any]:
        return {"trakt": self.trakt_id, "slug": self.slug, "imdb": self.imdb, "tmdb": self.tmdb}


def _same_id(sent: Any, ours: Any) -> bool:
    """Trakt ids arrive as numbers or strings; compare them as text, never null."""
    if sent is None or ours is None or isinstance(sent, (dict, list, bool)):
        return False
    return str(sent) == str(ours)


# ------------------------------------------------------------------------- OAuth records


@dataclass
class _Token:
    access: str
    refresh: str
    created_at: float
    expires_at: float
    revoked: bool = False
    refresh_used: bool = False


@dataclass
class _DeviceCode:
    device_code: str
    user_code: str
    created_at: float
    expires_in: int
    interval: int
    state: Literal["pending", "approved", "denied", "used"] = "pending"
    last_poll: float | None = None


_Titled = TypeVar("_Titled", _Show, _Movie)


def getattr_id(item: Any, key: str) -> Any:
    """An item's id of one kind: `trakt`, `slug`, `imdb`, `tmdb` or `tvdb`."""
    if key == "trakt":
        return item.trakt_id
    return getattr(item, key, None)
