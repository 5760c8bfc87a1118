"""What the fake AniList knows: users, media, list entries and list activities.

Tests seed it through the `add_*` factories and read it back through the plain
attributes (`users`, `media`, `entries`, `activities`); the resolvers answer from it.
Ids and timestamps come from counters, so a seeded world is the same on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

# schema: `airingSchedule(perPage: Int)` "The amount of entries per page, max 25".
AIRING_PAGE = 25


def _fuzzy(day: date | None) -> dict[str, Any]:
    return {
        "__typename": "FuzzyDate",
        "year": day.year if day else None,
        "month": day.month if day else None,
        "day": day.day if day else None,
    }


@dataclass
class FakeUser:
    id: int
    name: str
    token: str | None = None
    # `mediaListOptions.scoreFormat`: the format the list's scores are kept (and read) in.
    score_format: str = "POINT_10"

    def as_dict(self) -> dict[str, Any]:
        options = {"__typename": "MediaListOptions", "scoreFormat": self.score_format}
        return {"__typename": "User", "id": self.id, "name": self.name, "mediaListOptions": options}


@dataclass
class FakeEntry:
    id: int
    user_id: int
    media_id: int
    status: str
    progress: int
    score: float
    repeat: int
    completed_at: date | None
    updated_at: int
    custom_lists: tuple[str, ...] = ()
    hidden_from_status_lists: bool = False
    private: bool = False
    created_at: int = 0  # when it was added to the list


@dataclass
class FakeActivity:
    id: int
    user_id: int
    media_id: int
    status: str
    progress: str | None
    created_at: int
    type: str = "ANIME_LIST"


class AniListStore:
    """The fake's data and its factories; `FakeAniList.__init__` sets the attributes.

    Covers: AniList gives every media a `coverImage` on its CDN. The fake gives none
    (`coverImage.medium` null, which the schema allows) until `serve_covers_from(base)`
    points them at a local server, so no test can reach the real CDN by accident.
    """

    users: dict[int, FakeUser]
    cover_base: str | None
    media: dict[int, dict[str, Any]]  # resolver-ready `Media` objects, by id
    entries: list[FakeEntry]
    activities: list[FakeActivity]
    _next_id: int
    _next_created: int

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def cover_url(self, media_id: int) -> str | None:
        """Where the media's medium cover is, in the real CDN's path layout."""
        if self.cover_base is None:
            return None
        return f"{self.cover_base}/media/anime/cover/medium/bx{media_id}-fake.png"

    def serve_covers_from(self, base: str) -> None:
        """Give every media (those added already, and later ones) a cover under `base`."""
        self.cover_base = base.rstrip("/")
        for media_id, media in self.media.items():
            media["coverImage"] = self._cover_image(media_id)

    def _cover_image(self, media_id: int) -> dict[str, Any]:
        url = self.cover_url(media_id)
        return {
            "__typename": "MediaCoverImage",
            "extraLarge": url,
            "large": url,
            "medium": url,
            "color": None,
        }

    def add_user(self, name: str = "alice", *, token: str | None = None) -> FakeUser:
        user = FakeUser(id=self._new_id(), name=name, token=token)
        self.users[user.id] = user
        return user

    def add_media(
        self,
        media_id: int = 1,
        *,
        title_romaji: str | None = None,
        title_english: str | None = None,
        episodes: int | None = 12,
        format: str = "TV",
        start_date: date | None = None,
        end_date: date | None = None,
        airing: Mapping[int, int] | None = None,
    ) -> int:
        """Add (or replace) a media; `airing` is its schedule, episode → `airingAt` (unix s).

        Like AniList, `airingSchedule` answers one page of at most 25 episodes (the
        first 25 by episode number).
        """
        romaji = title_romaji or f"Anime {media_id}"
        nodes = [
            {"__typename": "AiringSchedule", "episode": episode, "airingAt": at}
            for episode, at in sorted((airing or {}).items())
        ][:AIRING_PAGE]
        self.media[media_id] = {
            "__typename": "Media",
            "id": media_id,
            "type": "ANIME",
            "episodes": episodes,
            "format": format,
            "startDate": _fuzzy(start_date),
            "endDate": _fuzzy(end_date),
            "airingSchedule": {"__typename": "AiringScheduleConnection", "nodes": nodes},
            "coverImage": self._cover_image(media_id),
            "title": {
                "__typename": "MediaTitle",
                "romaji": romaji,
                "english": title_english,
                "native": None,
                "userPreferred": romaji,
            },
        }
        return media_id

    def add_entry(
        self,
        user_id: int,
        media_id: int = 1,
        *,
        progress: int = 3,
        status: str = "CURRENT",
        score: float = 0.0,
        repeat: int = 0,
        completed_at: date | None = None,
        updated_at: int | None = None,
        custom_lists: tuple[str, ...] = (),
        hidden_from_status_lists: bool = False,
        private: bool = False,
        created_at: int | None = None,
    ) -> FakeEntry:
        """An entry on `user_id`'s list; `score` in the user's `score_format`."""
        if media_id not in self.media:
            self.add_media(media_id)
        self._next_created += 60
        entry = FakeEntry(
            id=self._new_id(),
            user_id=user_id,
            media_id=media_id,
            status=status,
            progress=progress,
            score=score,
            repeat=repeat,
            completed_at=completed_at,
            updated_at=updated_at if updated_at is not None else self._next_created,
            custom_lists=custom_lists,
            hidden_from_status_lists=hidden_from_status_lists,
            private=private,
            created_at=created_at if created_at is not None else self._next_created,
        )
        self.entries.append(entry)
        return entry

    def add_activity(
        self,
        user_id: int,
        media_id: int = 1,
        *,
        status: str = "watched episode",
        progress: str | None = "4 - 6",
        created_at: int | None = None,
        type: str = "ANIME_LIST",
    ) -> FakeActivity:
        if media_id not in self.media:
            self.add_media(media_id)
        self._next_created += 60
        activity = FakeActivity(
            id=self._new_id(),
            user_id=user_id,
            media_id=media_id,
            status=status,
            progress=progress,
            created_at=created_at if created_at is not None else self._next_created,
            type=type,
        )
        self.activities.append(activity)
        return activity
