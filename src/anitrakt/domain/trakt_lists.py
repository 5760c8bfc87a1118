"""Trakt's ratings, watchlist, dropped shows and per-item plays, as plain values (no I/O).

The values `clients.trakt_lists` reads and writes for the features beyond history
(docs/beyond-history.md). An item on a list is a show or a movie (`ItemRef`); a rating
is on a show, one of its seasons, or a movie (`RatingTarget`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from anitrakt.domain.trakt import TraktUser
from anitrakt.domain.values import TraktType

# Trakt's 2026 account caps ("Updating Trakt limits for 2026", forums.trakt.tv, quoted in
# Taxel/PlexTraktSync#2485): 10,000 ratings (20,000 VIP), a 250-item watchlist (5,000
# VIP). /users/settings `limits` wins when it names one (some free accounts report a
# watchlist of 100), so these apply only when it does not.
RATINGS_LIMIT, RATINGS_LIMIT_VIP = 10_000, 20_000
WATCHLIST_LIMIT, WATCHLIST_LIMIT_VIP = 250, 5_000


@dataclass(frozen=True, slots=True, order=True)
class ItemRef:
    """A show or a movie on a Trakt list, by Trakt id."""

    kind: TraktType
    trakt_id: int

    def describe(self) -> str:
        return f"{self.kind.value} {self.trakt_id}"

    def to_json(self) -> list[str | int]:
        return [self.kind.value, self.trakt_id]

    @classmethod
    def from_json(cls, value: object) -> ItemRef | None:
        """Back from `to_json`; None for anything else (a hand-edited value)."""
        if not isinstance(value, list) or len(value) != 2:
            return None
        kind, trakt_id = value
        if kind not in ("show", "movie") or not isinstance(trakt_id, int):
            return None
        return cls(TraktType(kind), trakt_id)


class RatingKind(StrEnum):
    SHOW = "show"
    SEASON = "season"
    MOVIE = "movie"


@dataclass(frozen=True, slots=True, order=True)
class RatingTarget:
    """What a rating is on: a show, season `season` of a show, or a movie (Trakt ids)."""

    kind: RatingKind
    trakt_id: int
    season: int | None = None

    def describe(self) -> str:
        if self.kind is RatingKind.SEASON:
            return f"season {self.season} of show {self.trakt_id}"
        return f"{self.kind.value} {self.trakt_id}"


@dataclass(frozen=True, slots=True)
class TraktRating:
    """A rating the account holds (GET /sync/ratings)."""

    target: RatingTarget
    rating: int
    rated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RatingPost:
    """A rating to write: 1–10, rated at `rated_at`."""

    target: RatingTarget
    rating: int
    rated_at: datetime


@dataclass(frozen=True, slots=True)
class ListedItems:
    """What a Trakt list holds: its shows and movies, and how many items in all.

    `count` also counts the seasons and episodes a watchlist may hold, which anitrakt
    never writes but which count against the cap.
    """

    items: frozenset[ItemRef] = frozenset()
    count: int = 0


@dataclass(frozen=True, slots=True)
class ListWrite:
    """What Trakt could not find of a list or ratings write (everything else applied)."""

    not_found: frozenset[ItemRef] = frozenset()
    ratings_not_found: frozenset[RatingTarget] = frozenset()


@dataclass(frozen=True, slots=True)
class HistoryPlay:
    """One play of an item's history; `season`/`number` are None for a movie."""

    season: int | None
    number: int | None
    watched_at: datetime


def ratings_limit(user: TraktUser) -> int:
    """How many ratings the account may hold: its `limits`, else 2026's caps."""
    named = user.limits.get("ratings", {}).get("item_count")
    if named is not None:
        return int(named)
    return RATINGS_LIMIT_VIP if user.vip else RATINGS_LIMIT


def watchlist_limit(user: TraktUser) -> int:
    """How many items the account's watchlist may hold: its `limits`, else 2026's caps."""
    named = user.limits.get("watchlist", {}).get("item_count")
    if named is not None:
        return int(named)
    return WATCHLIST_LIMIT_VIP if user.vip else WATCHLIST_LIMIT
