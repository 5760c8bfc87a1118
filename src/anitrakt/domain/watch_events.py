"""AniList facts → `WatchEvent`s, the input of sync planning (docs/sync.md). Pure, no I/O.

The full sync reads list activities (each a dated range of episodes); the completed and
watching syncs read list entries (episodes 1…progress, dated by completion or update).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from anitrakt.domain.anilist import ListActivity, MediaListEntry
from anitrakt.domain.planning import WatchEvent

WATCHED = "watched episode"
COMPLETED = "completed"
REWATCHED = "rewatched episode"


def events_from_activities(
    activities: Iterable[ListActivity],
) -> tuple[list[WatchEvent], list[str]]:
    """Events for the full sync, oldest first, plus notes for the log.

    `watched episode` counts every episode of its range; `completed` (AniList writes
    it instead of the last `watched episode`) counts every episode of the media;
    `rewatched episode` is logged, not posted as history (rewatches are their own
    feature, docs/beyond-history.md); other statuses carry no episodes.
    """
    events: list[WatchEvent] = []
    notes: list[str] = []
    for activity in sorted(activities, key=lambda a: (a.created_at, a.id)):
        media = activity.media
        watched_at = datetime.fromtimestamp(activity.created_at, UTC)
        is_movie = media.is_movie
        episodes: tuple[int, ...] = ()
        if activity.status == WATCHED:
            episodes = activity.episodes
        elif activity.status == COMPLETED:
            if media.episodes:
                episodes = tuple(range(1, media.episodes + 1))
            elif is_movie:
                episodes = (1,)
            else:
                notes.append(
                    f"{media.title}: completed, but AniList gives no episode count; "
                    "only episodes logged one by one are synced"
                )
        elif activity.status == REWATCHED:
            notes.append(
                f"{media.title}: rewatch of {activity.progress_text} is not first-watch "
                "history (SYNC_REWATCHES posts rewatches, docs/beyond-history.md)"
            )
        events.append(
            WatchEvent(
                anilist_id=media.id,
                title=media.title,
                episodes=episodes,
                watched_at=watched_at,
                dated_by="activity",
                is_movie=is_movie,
                origin=f"activity {activity.id} ({activity.status})",
                activity_id=activity.id,
                created_at=activity.created_at,
            )
        )
    return events, notes


def completed_watched_at(
    entry: MediaListEntry, now: datetime, undated: str = "now"
) -> tuple[datetime, str]:
    """`completedAt` at UTC midnight; without a full date, by `undated`: now, the entry's
    `updatedAt`, or "released" (each episode's air date on Trakt, placed later; now is
    the fallback). Returns the date and what it came from."""
    if isinstance(entry.completed_at, date):
        return datetime.combine(entry.completed_at, time(0, 0), UTC), "completedAt"
    if undated == "updatedAt" and entry.updated_at > 0:
        return datetime.fromtimestamp(entry.updated_at, UTC), "updatedAt"
    if undated == "released":
        return now, "released"
    return now, "now"


def events_from_entries(
    entries: Iterable[MediaListEntry], *, completed: bool, now: datetime, undated: str = "now"
) -> list[WatchEvent]:
    """Events for the completed or watching sync: episodes 1…progress of each entry.

    A completed entry with progress 0 means every episode. Watched dates: completed →
    `completedAt` (UTC midnight) or as `undated` says; watching → the entry's `updatedAt`.
    """
    events = []
    for entry in entries:
        media = entry.media
        count = entry.progress
        if completed and count <= 0:
            count = media.episodes or (1 if media.is_movie else 0)
        watched_at, dated_by = (
            completed_watched_at(entry, now, undated)
            if completed
            else (datetime.fromtimestamp(entry.updated_at, UTC), "updatedAt")
        )
        events.append(
            WatchEvent(
                anilist_id=media.id,
                title=media.title,
                episodes=tuple(range(1, count + 1)),
                watched_at=watched_at,
                is_movie=media.is_movie,
                origin="completed list" if completed else "watching list",
                dated_by=dated_by,
            )
        )
    return events
