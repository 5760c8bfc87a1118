"""AniList wire JSON → `anitrakt.domain.anilist` values (the client's parsing half).

Lenient where AniList is: a missing title part, a FuzzyDate without a day, an activity
whose progress text cannot be read (kept, with no episodes, and logged) — and a
`UpstreamError` naming the shape when a required field is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

from anitrakt.domain.airdates import Airing
from anitrakt.domain.anilist import (
    AniListUser,
    ListActivity,
    Media,
    MediaDetails,
    MediaListEntry,
    parse_progress,
)
from anitrakt.domain.ids import lenient_int
from anitrakt.errors import InputError, UpstreamError

logger = logging.getLogger("anitrakt.anilist")

UPSTREAM_NAME = "AniList"


def object_of(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UpstreamError(f"{UPSTREAM_NAME} answered an unexpected shape: no {what} object")
    return value


def shape_error(what: str, exc: Exception) -> UpstreamError:
    return UpstreamError(
        f"{UPSTREAM_NAME} answered an unexpected {what} ({type(exc).__name__}: {exc})"
    )


def user_of(value: Any, what: str) -> AniListUser:
    raw = object_of(value, what)
    try:
        return AniListUser(id=int(raw["id"]), name=str(raw["name"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise shape_error(what, exc) from None


def media_of(value: Any) -> Media:
    raw = object_of(value, "media")
    title = raw.get("title")
    if not isinstance(title, dict):
        title = {}
    episodes = raw.get("episodes")
    cover = raw.get("coverImage")
    cover_url = cover.get("medium") if isinstance(cover, dict) else None
    return Media(
        id=int(raw["id"]),
        title_romaji=title.get("romaji"),
        title_english=title.get("english"),
        episodes=int(episodes) if episodes is not None else None,
        format=raw.get("format"),
        cover_url=cover_url if isinstance(cover_url, str) and cover_url else None,
    )


def details_of(value: Any) -> MediaDetails:
    try:
        media = media_of(value)
        raw = object_of(value, "media")
        schedule_raw = raw.get("airingSchedule")
        nodes = schedule_raw.get("nodes") if isinstance(schedule_raw, dict) else None
        schedule: dict[int, int] = {}
        for node in nodes or []:
            if isinstance(node, dict):
                episode, airing_at = (
                    lenient_int(node.get("episode")),
                    lenient_int(node.get("airingAt")),
                )
                if episode is not None and episode > 0 and airing_at is not None and airing_at > 0:
                    schedule.setdefault(episode, airing_at)
        airing = Airing(
            start_date=fuzzy_date(raw.get("startDate")),
            end_date=fuzzy_date(raw.get("endDate")),
            schedule=schedule,
            episode_count=media.episodes,
        )
        return MediaDetails(media, airing)
    except (KeyError, TypeError, ValueError) as exc:
        raise shape_error("media", exc) from None


def activity_of(raw: dict[str, Any]) -> ListActivity:
    try:
        progress = raw.get("progress")
        try:
            episodes = parse_progress(progress)
        except InputError as exc:
            # One odd activity must not stop a sync; keep it, with no episodes, and say so.
            logger.warning("%s activity %s: %s", UPSTREAM_NAME, raw.get("id"), exc.message)
            episodes = ()
        return ListActivity(
            id=int(raw["id"]),
            status=str(raw.get("status") or ""),
            progress_text=progress,
            episodes=episodes,
            created_at=int(raw["createdAt"]),
            media=media_of(raw.get("media")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise shape_error("list activity", exc) from None


def fuzzy_date(value: Any) -> date | None:
    """A FuzzyDate as a date, or None when any part is missing (or it is impossible)."""
    if not isinstance(value, dict):
        return None
    year, month, day = value.get("year"), value.get("month"), value.get("day")
    if year is None or month is None or day is None:
        return None
    try:
        return date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        return None


def entries_of(collection: dict[str, Any]) -> Iterator[MediaListEntry]:
    """Entries of every group: custom lists can hold entries hidden from the status
    lists (media-list.md), so every group is read; callers keep each media once."""
    for group in collection.get("lists") or []:
        for raw in object_of(group, "lists[]").get("entries") or []:
            yield entry_of(raw)


def entry_of(value: Any) -> MediaListEntry:
    raw = object_of(value, "list entry")
    try:
        return MediaListEntry(
            media=media_of(raw.get("media")),
            status=str(raw["status"]),
            progress=int(raw.get("progress") or 0),
            score=float(raw.get("score") or 0.0),
            repeat=int(raw.get("repeat") or 0),
            completed_at=fuzzy_date(raw.get("completedAt")),
            updated_at=int(raw.get("updatedAt") or 0),
            created_at=int(raw.get("createdAt") or 0),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise shape_error("list entry", exc) from None
