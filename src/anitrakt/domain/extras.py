"""The features beyond history (docs/beyond-history.md), and how a run tells of them.

Each feature is off unless its setting turns it on (`Extra.setting`); a run that has
them on reports, per feature, what it wrote (or, dry, would write) and what it left and
why, as `ExtraItem`s a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Extra(StrEnum):
    """One feature beyond history; the value names it in keys, the API and the CLI."""

    RATINGS = "ratings"
    WATCHLIST = "watchlist"
    REWATCHES = "rewatches"
    DROPPED = "dropped"

    @property
    def setting(self) -> str:
        """The environment variable that turns it on: `SYNC_RATINGS`, …"""
        return f"SYNC_{self.name}"

    @property
    def label(self) -> str:
        return _LABELS[self]


# The order runs take them in, and pages show them in.
FEATURE_ORDER = (Extra.RATINGS, Extra.WATCHLIST, Extra.DROPPED, Extra.REWATCHES)

_LABELS = {
    Extra.RATINGS: "Ratings",
    Extra.WATCHLIST: "Planning → watchlist",
    Extra.REWATCHES: "Rewatches",
    Extra.DROPPED: "Dropped",
}


@dataclass(frozen=True, slots=True)
class ExtraItem:
    """One write (done, or planned by a dry run) or one thing left alone, for people.

    `action` says what, e.g. "rate 8", "add", "remove", "drop", "play S1E3";
    `target` where on Trakt ("season 2 of show 123"); `note` why it was left, or when.
    """

    anilist_id: int | None
    title: str
    action: str
    target: str
    note: str = ""
