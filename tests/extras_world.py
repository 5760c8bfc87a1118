"""A library for the features beyond history (docs/beyond-history.md), on a `World`.

Scores in the account's score format on a two-entry show, a one-entry show and a movie;
planning entries beyond a small watchlist cap, beside an item the person listed; a show
watched then rewatched, another being rewatched with no activity for it; a dropped show
and a dropped film. `library()` fills the fakes and returns what Trakt must end up with.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.domain.extras import Extra
from sync_world import World

T = 1_700_000_000  # the fake AniList's clock: activities and entries are around here
FORMATS = ["POINT_100", "POINT_10_DECIMAL", "POINT_10", "POINT_5", "POINT_3"]
# Scores of S1, S2 (one show, two entries), B (a one-entry show) and M (a movie) in each
# format, and the Trakt ratings they become (docs/beyond-history.md's table).
SCORES = {
    "POINT_100": ((55, 85, 100, 1), (6, 9, 10, 1)),
    "POINT_10_DECIMAL": ((5.5, 8.5, 10.0, 0.1), (6, 9, 10, 1)),
    "POINT_10": ((6, 9, 10, 1), (6, 9, 10, 1)),
    "POINT_5": ((3, 4, 5, 1), (6, 8, 10, 2)),
    "POINT_3": ((2, 3, 3, 1), (5, 8, 8, 3)),
}
S1, S2, B, M, UNSCORED = 51, 52, 53, 54, 55
SEQUEL_SHOW, B_SHOW, M_MOVIE, UNSCORED_SHOW = 5001, 5002, 5003, 5004
PLANNED = {61: 6001, 67: 6007, 62: 6002, 63: 6003, 64: 6004, 65: 6005, 66: 6006}  # AniList order
OWN_LISTED, WATCHLIST_CAP = 6100, 5
REWATCHED, REPEATING = 71, 72
REWATCHED_SHOW, REPEATING_SHOW = 7001, 7002
DROPPED, DROPPED_MOVIE, OWN_DROPPED = 81, 82, 8100
DROPPED_SHOW, DROPPED_FILM = 8001, 8002
ALL = frozenset(Extra)


def make_world(sessions: sessionmaker[Session], settings: Settings, **on: bool) -> World:
    flags = {f"sync_{e.value}": on.get(e.value, True) for e in Extra}
    return World(sessions, settings.model_copy(update=flags))


def library(w: World, score_format: str = "POINT_10") -> dict[str, Any]:
    """The test library (see the constants); returns what Trakt must end up with."""
    (s1, s2, b, m), (r1, r2, rb, rm) = SCORES[score_format]
    w.user.score_format = score_format
    tv = w.trakt
    uid = w.user.id

    def entry(anilist_id: int, title: str, status: str, **kw: Any) -> None:
        movie = kw.pop("movie", False)
        w.media(anilist_id, title, episodes=1 if movie else 12, fmt="MOVIE" if movie else "TV")
        w.anilist.add_entry(uid, anilist_id, status=status, **kw)

    tv.add_show(SEQUEL_SHOW, "Sequels", seasons={1: 12, 2: 12})
    tv.add_show(B_SHOW, "One Season", seasons={1: 12})
    tv.add_movie(M_MOVIE, "A Film")
    tv.add_show(UNSCORED_SHOW, "Unscored", seasons={1: 12})
    entry(S1, "Sequels", "COMPLETED", progress=12, score=s1, updated_at=T + 1)
    entry(S2, "Sequels 2", "COMPLETED", progress=12, score=s2, updated_at=T + 2)
    entry(B, "One Season", "CURRENT", progress=5, score=b, updated_at=T + 3)
    entry(M, "A Film", "COMPLETED", progress=1, score=m, updated_at=T + 4, movie=True)
    entry(UNSCORED, "Unscored", "COMPLETED", progress=12, score=0)
    w.map(S1, SEQUEL_SHOW, season=1)
    w.map(S2, SEQUEL_SHOW, season=2)
    w.map(B, B_SHOW, season=1)
    w.map(M, M_MOVIE, movie=True)
    w.map(UNSCORED, UNSCORED_SHOW, season=1)
    tv.add_rating("show", B_SHOW, 3)  # rated differently on Trakt: rewritten
    tv.add_rating("movie", M_MOVIE, rm)  # already the same: left alone
    tv.add_rating("show", UNSCORED_SHOW, 7)  # unscored on AniList: never removed

    tv.watchlist_limit = WATCHLIST_CAP
    tv.add_show(OWN_LISTED, "Listed by the person", seasons={1: 1})
    tv.add_to_watchlist("show", OWN_LISTED)
    for order, (anilist_id, trakt_id) in enumerate(PLANNED.items()):
        movie = anilist_id == 67
        if movie:
            tv.add_movie(trakt_id, f"Planned film {anilist_id}")
        else:
            tv.add_show(trakt_id, f"Planned {anilist_id}", seasons={1: 12})
        entry(anilist_id, f"Planned {anilist_id}", "PLANNING", progress=0, created_at=T + order,
              movie=movie)  # fmt: skip
        w.map(anilist_id, trakt_id, movie=movie)

    # A show watched, then rewatched (episodes 1–2, then 3) and still being rewatched;
    # another being rewatched with no activity for it (episodes 1–4 at its update time).
    tv.add_show(REWATCHED_SHOW, "Rewatched", seasons={1: 12})
    tv.add_show(REPEATING_SHOW, "Repeating", seasons={1: 6})
    for number in range(1, 7):
        tv.add_watched(REPEATING_SHOW, 1, number, watched_at="2020-01-01T00:00:00.000Z")
    entry(REWATCHED, "Rewatched", "REPEATING", progress=3, updated_at=T + 300)
    entry(REPEATING, "Repeating", "REPEATING", progress=4, updated_at=T + 430)
    w.map(REWATCHED, REWATCHED_SHOW, season=1)
    w.map(REPEATING, REPEATING_SHOW, season=1)
    w.watched(REWATCHED, "1 - 12", at=T + 100)
    w.watched(REWATCHED, "1 - 2", at=T + 200, status="rewatched episode")
    w.watched(REWATCHED, "3", at=T + 300, status="rewatched episode")

    tv.add_show(DROPPED_SHOW, "Dropped", seasons={1: 12})
    tv.add_movie(DROPPED_FILM, "Dropped film")
    tv.add_show(OWN_DROPPED, "Dropped by the person", seasons={1: 1})
    tv.drop_show(OWN_DROPPED)
    entry(DROPPED, "Dropped", "DROPPED", progress=2)
    entry(DROPPED_MOVIE, "Dropped film", "DROPPED", progress=0, movie=True)
    w.map(DROPPED, DROPPED_SHOW, season=1)
    w.map(DROPPED_MOVIE, DROPPED_FILM, movie=True)

    history: Counter[Any] = Counter()
    history.update((REWATCHED_SHOW, 1, n) for n in range(1, 13))  # the first watch
    history.update((REWATCHED_SHOW, 1, n) for n in (1, 2, 3))  # the rewatch
    history.update((REPEATING_SHOW, 1, n) for n in range(1, 7))  # watched before
    history.update((REPEATING_SHOW, 1, n) for n in range(1, 5))  # the rewatch so far
    return {
        "ratings": {
            ("season", SEQUEL_SHOW, 1): r1,
            ("season", SEQUEL_SHOW, 2): r2,
            ("show", B_SHOW, None): rb,
            ("movie", M_MOVIE, None): rm,
            ("show", UNSCORED_SHOW, None): 7,
        },
        "watchlist": set(library_watchlist()),
        "dropped": {OWN_DROPPED, DROPPED_SHOW},
        "history": history,
    }


def trakt_state(w: World) -> dict[str, Any]:
    tv = w.trakt
    return {
        "ratings": tv.ratings,
        "watchlist": set(tv.watchlist),  # Trakt orders movies and shows its own way
        "dropped": tv.dropped_shows,
        "history": w.history(),
    }


def library_watchlist() -> list[tuple[str, int]]:
    return [("show", OWN_LISTED), ("show", 6001), ("movie", 6007), ("show", 6002), ("show", 6003)]
