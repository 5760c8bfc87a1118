"""Trakt episode lists, cached under the seed's keys (docs/placement.md).

`trakt:show:<traktId>:episodes` holds the flattened list and `map:<traktId>` its
breakpoints. A cache older than `EPISODE_CACHE_MAX_AGE` is refetched, and so is one an
episode falls past the end of (once per run: the caller asks with `refetch`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.trakt import TraktClient
from anitrakt.domain import keys
from anitrakt.domain.episodes import (
    EpisodeList,
    EpisodeRef,
    breakpoints_cache_value,
    episodes_cache_value,
    episodes_from_cache,
)
from anitrakt.domain.trakt import TraktSeason
from anitrakt.store.models import SystemConfig
from anitrakt.store.system_config import decode_value, set_config

EPISODE_CACHE_MAX_AGE = timedelta(days=7)


def episode_list_of(seasons: Iterable[TraktSeason]) -> EpisodeList:
    """Flatten Trakt's seasons in Trakt's order (specials set aside)."""
    return EpisodeList.from_episodes(
        EpisodeRef(e.season, e.number, e.number_abs, e.trakt_id, e.first_aired)
        for season in seasons
        for e in season.episodes
    )


def cached_episode_lists(
    session: Session, trakt_ids: Iterable[int], *, now: datetime
) -> dict[int, EpisodeList]:
    """The fresh cached lists among `trakt_ids`, in one query."""
    wanted = {keys.show_episodes_key(i): i for i in set(trakt_ids)}
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(SystemConfig.key, SystemConfig.value, SystemConfig.updated_at).where(
            SystemConfig.key.in_(list(wanted))
        )
    )
    fresh: dict[int, EpisodeList] = {}
    for key, value, updated_at in rows:
        if updated_at is None or now - updated_at > EPISODE_CACHE_MAX_AGE:
            continue
        episodes = episodes_from_cache(decode_value(value))
        if episodes is not None:
            fresh[wanted[key]] = episodes
    return fresh


def store_episode_list(session: Session, trakt_id: int, episodes: EpisodeList) -> None:
    """Write both caches of one show (the caller commits)."""
    set_config(session, keys.show_episodes_key(trakt_id), episodes_cache_value(episodes))
    set_config(session, keys.breakpoint_map_key(trakt_id), breakpoints_cache_value(episodes))


def load_episode_lists(
    sessions: sessionmaker[Session],
    trakt: TraktClient,
    trakt_ids: Iterable[int],
    *,
    now: datetime,
    refetch: Iterable[int] = (),
    save: bool = True,
) -> tuple[dict[int, EpisodeList], set[int]]:
    """Episode lists for every show: cached when fresh, else fetched (and cached).

    Returns the lists and the ids fetched from Trakt in this call.
    """
    ids = set(trakt_ids)
    forced = set(refetch)
    with sessions() as session:
        lists = {
            k: v for k, v in cached_episode_lists(session, ids, now=now).items() if k not in forced
        }
    fetched: set[int] = set()
    for trakt_id in sorted(ids - set(lists)):
        episodes = episode_list_of(trakt.seasons_with_episodes(trakt_id))
        lists[trakt_id] = episodes
        fetched.add(trakt_id)
        if save:
            with sessions.begin() as session:
                store_episode_list(session, trakt_id, episodes)
    return lists, fetched
