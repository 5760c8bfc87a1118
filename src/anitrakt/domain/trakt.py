"""What anitrakt reads from and writes to Trakt, as plain values (no I/O).

The Trakt client turns wire JSON into these types and `HistoryItems` back into the one
wire shape anitrakt ever posts. That shape is deliberately narrow: a show always carries
explicit seasons *and* episodes, because Trakt marks every aired episode watched when it
receives a bare show or season (docs/placement.md, last bullet; Trakt API contract, POST
/sync/history: "If only a show is passed, all episodes for the show will be added").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from anitrakt.domain.values import TraktType


@dataclass(frozen=True, slots=True)
class TraktIds:
    """The ids Trakt knows an item by; any of them may be missing."""

    trakt: int | None = None
    slug: str | None = None
    tvdb: int | None = None
    tmdb: int | None = None
    imdb: str | None = None

    def to_payload(self) -> dict[str, int | str]:
        """The `ids` object to send: the Trakt id alone when known, else every known id.

        Trakt matches ids in the order trakt, imdb, tmdb, tvdb, slug and only then falls
        back to title and year (apiary intro, "Media objects for syncing"); titles are
        never sent, so a miss is reported in `not_found` instead of landing on some
        other show of the same name.
        """
        if self.trakt is not None:
            return {"trakt": self.trakt}
        known: dict[str, int | str] = {}
        for name in ("imdb", "tmdb", "tvdb", "slug"):
            value = getattr(self, name)
            if value not in (None, ""):
                known[name] = value
        if not known:
            raise ValueError("an item needs at least one id to be posted to Trakt")
        return known


@dataclass(frozen=True, slots=True)
class TraktShow:
    title: str | None
    year: int | None
    ids: TraktIds


@dataclass(frozen=True, slots=True)
class TraktMovie:
    title: str | None
    year: int | None
    ids: TraktIds


@dataclass(frozen=True, slots=True)
class TraktEpisode:
    """One episode as Trakt lists it; `number_abs`/`first_aired` are None when Trakt has none."""

    season: int
    number: int
    number_abs: int | None
    trakt_id: int | None
    title: str | None = None
    first_aired: datetime | None = None


@dataclass(frozen=True, slots=True)
class TraktSeason:
    number: int
    episodes: tuple[TraktEpisode, ...]


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One hit of an id or text search; exactly one of `show` / `movie` is set."""

    kind: TraktType
    show: TraktShow | None = None
    movie: TraktMovie | None = None
    score: float | None = None

    @property
    def ids(self) -> TraktIds:
        item = self.show if self.kind is TraktType.SHOW else self.movie
        assert item is not None
        return item.ids


@dataclass(frozen=True, slots=True)
class EpisodePlay:
    """One play of episode `number` of `season`; naive times are taken to be UTC."""

    season: int
    number: int
    watched_at: datetime


@dataclass(frozen=True, slots=True)
class ShowPlays:
    """Plays of one show's episodes, to be posted together."""

    ids: TraktIds
    episodes: tuple[EpisodePlay, ...]


@dataclass(frozen=True, slots=True)
class MoviePlay:
    ids: TraktIds
    watched_at: datetime


def play_minute(moment: datetime) -> datetime:
    """`moment` in UTC, cut to the minute: Trakt stores play times to the minute (2026).

    Every comparison of play times (ours with Trakt's) goes through this, so a play we
    sent at 12:34:56 is recognised when Trakt gives it back as 12:34:00.
    """
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(second=0, microsecond=0)


def trakt_datetime(moment: datetime) -> str:
    """`moment` as a play time for Trakt: UTC ISO-8601 to the minute, with a `Z`.

    Naive datetimes are UTC, the only zone anitrakt ever writes (domain.instants).
    """
    return play_minute(moment).strftime("%Y-%m-%dT%H:%M:00.000Z")


@dataclass(frozen=True, slots=True)
class HistoryItems:
    """What to add to the watched history: episodes grouped by show, and movies."""

    shows: tuple[ShowPlays, ...] = ()
    movies: tuple[MoviePlay, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.shows and not self.movies

    @property
    def episode_count(self) -> int:
        return sum(len(show.episodes) for show in self.shows)

    def to_payload(self) -> dict[str, Any]:
        """The POST /sync/history body: show → seasons → explicit episodes, and movies.

        Raises ValueError rather than build a show without episodes (Trakt would mark
        the whole show watched). Plays of the same show are merged into one show object
        and identical plays (same episode and `watched_at`) are sent once, since Trakt
        does not dedupe plays.
        """
        grouped: dict[tuple[tuple[str, int | str], ...], dict[int, dict[tuple[int, str], None]]]
        grouped = {}
        show_ids: dict[tuple[tuple[str, int | str], ...], dict[str, int | str]] = {}
        for show in self.shows:
            if not show.episodes:
                raise ValueError(
                    "refusing to post a show without explicit episodes: "
                    "Trakt would mark every aired episode watched"
                )
            ids = show.ids.to_payload()
            key = tuple(sorted(ids.items()))
            show_ids[key] = ids
            seasons = grouped.setdefault(key, {})
            for play in show.episodes:
                if play.season < 0 or play.number < 0:
                    raise ValueError(f"invalid episode S{play.season}E{play.number}")
                seasons.setdefault(play.season, {})[
                    (play.number, trakt_datetime(play.watched_at))
                ] = None
        payload: dict[str, Any] = {}
        if grouped:
            payload["shows"] = [
                {
                    "ids": show_ids[key],
                    "seasons": [
                        {
                            "number": season,
                            "episodes": [
                                {"number": number, "watched_at": watched_at}
                                for number, watched_at in sorted(plays)
                            ],
                        }
                        for season, plays in sorted(seasons.items())
                    ],
                }
                for key, seasons in grouped.items()
            ]
        if self.movies:
            unique = dict.fromkeys(
                (tuple(sorted(m.ids.to_payload().items())), trakt_datetime(m.watched_at))
                for m in self.movies
            )
            payload["movies"] = [
                {"ids": dict(ids), "watched_at": watched_at} for ids, watched_at in unique
            ]
        return payload


@dataclass(frozen=True, slots=True)
class NotFoundItem:
    """Something Trakt could not find in a history post.

    `kind` is "show", "season", "episode" or "movie". For an episode posted inside a
    show, `ids` are the show's ids and `season`/`number` say which episode; for a season,
    `number` is None.
    """

    kind: str
    ids: TraktIds
    season: int | None = None
    number: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryResult:
    """What Trakt reports it added, and what it could not find."""

    added_episodes: int = 0
    added_movies: int = 0
    not_found: tuple[NotFoundItem, ...] = ()


@dataclass(frozen=True, slots=True)
class WatchedShow:
    """A show in the person's watched state with plays per (season, number)."""

    show: TraktShow
    plays: Mapping[tuple[int, int], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WatchedMovie:
    movie: TraktMovie
    plays: int
    last_watched_at: datetime | None = None


# Trakt's 2026 account limits: "Watched History 100K" for free and VIP accounts alike
# (forums.trakt.tv "Updating Trakt limits for 2026", quoted in Taxel/PlexTraktSync#2485).
# /users/settings does not report it (its `limits` cover lists, watchlist, collection…),
# so this is the cap unless Trakt ever sends a `history` limit of its own.
HISTORY_PLAY_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class TraktUser:
    """The connected account, as GET /users/settings describes it."""

    username: str
    slug: str | None = None
    name: str | None = None
    vip: bool = False
    private: bool = False
    limits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def history_limit(self) -> int:
        """How many plays the account's history may hold."""
        return int(self.limits.get("history", {}).get("item_count", HISTORY_PLAY_LIMIT))


@dataclass(frozen=True, slots=True)
class TokenSet:
    """An OAuth token pair; the tokens are left out of `repr` so they never reach a log.

    `expires_at` (unix seconds) is None when unknown, e.g. tokens from the environment
    or stored by an older version, which then refresh only when Trakt answers 401.
    `created_at` is informational (Trakt's own timestamp, not stored) and left out of
    comparisons.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    created_at: float | None = field(default=None, compare=False)

    def expires_within(self, seconds: float, now: float) -> bool:
        """True when the access token expires less than `seconds` from `now`."""
        return self.expires_at is not None and self.expires_at - now < seconds

    def secrets(self) -> Iterable[str]:
        """Both tokens, for registering with a log masker."""
        return tuple(t for t in (self.access_token, self.refresh_token) if t)


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """A device-code authorization in progress; show `user_code` at `verification_url`."""

    device_code: str = field(repr=False)
    user_code: str
    verification_url: str
    expires_in: int
    interval: int


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    """A code-flow authorization link handed out and not yet used.

    `verifier` is the PKCE secret half of the link's challenge: the pasted code is only
    accepted together with it, so it is kept (never shown) until the code comes back.
    """

    state: str
    verifier: str = field(repr=False)
    created_at: float = 0.0
