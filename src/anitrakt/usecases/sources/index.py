"""The in-memory index of the mapping sources, loaded once per process and shared.

Lookups never touch the source files and normally not the database either: the first
lookup loads every cached row (`mapping_source_entries`) into a dict per source in one query,
and every later lookup — one id or a batch of thousands — is dict access. A refresh in
this process installs its new entries directly. A refresh by another process (the CLI
while `serve` runs) is noticed by comparing the `updated_at` of `cache:fribbs`,
`cache:otaku` and `cache:anibridge` at most once every `RECHECK_SECONDS`, a single tiny
query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.domain import keys
from anitrakt.domain.mapping_source import SourceEntry, SourceHit
from anitrakt.domain.values import SourceName
from anitrakt.errors import ConflictError
from anitrakt.store.source_entries import cache_stamps, load_source_entries

# How stale another process's refresh may look to this one.
RECHECK_SECONDS = 30.0
CACHE_KEYS = {
    SourceName.FRIBB: keys.CACHE_FRIBBS,
    SourceName.OTAKU: keys.CACHE_OTAKU,
    SourceName.ANIBRIDGE: keys.CACHE_ANIBRIDGE,
}


def _empty() -> Mapping[int, SourceEntry]:
    return MappingProxyType({})


@dataclass(frozen=True)
class SourceIndex:
    """An immutable snapshot of every source, keyed by AniList id."""

    fribb: Mapping[int, SourceEntry] = field(default_factory=_empty)
    otaku: Mapping[int, SourceEntry] = field(default_factory=_empty)
    anibridge: Mapping[int, SourceEntry] = field(default_factory=_empty)

    def entries(self, source: SourceName) -> Mapping[int, SourceEntry]:
        if source is SourceName.FRIBB:
            return self.fribb
        return self.otaku if source is SourceName.OTAKU else self.anibridge

    def count(self, source: SourceName) -> int:
        return len(self.entries(source))

    def lookup(self, anilist_id: int) -> SourceHit:
        """What every source knows about one AniList id."""
        return SourceHit(
            anilist_id,
            self.fribb.get(anilist_id),
            self.otaku.get(anilist_id),
            self.anibridge.get(anilist_id),
        )

    def lookup_many(self, anilist_ids: Iterable[int]) -> dict[int, SourceHit]:
        """`lookup` for many ids; ids no source knows are left out."""
        found = {}
        fribb, otaku, anibridge = self.fribb, self.otaku, self.anibridge
        for anilist_id in anilist_ids:
            from_fribb, from_otaku = fribb.get(anilist_id), otaku.get(anilist_id)
            from_anibridge = anibridge.get(anilist_id)
            if from_fribb is not None or from_otaku is not None or from_anibridge is not None:
                found[anilist_id] = SourceHit(anilist_id, from_fribb, from_otaku, from_anibridge)
        return found

    def replacing(self, source: SourceName, entries: Iterable[SourceEntry]) -> SourceIndex:
        """A copy with `source`'s entries replaced."""
        table = MappingProxyType({entry.anilist_id: entry for entry in entries})
        tables = {name: self.entries(name) for name in SourceName}
        tables[source] = table
        return SourceIndex(
            fribb=tables[SourceName.FRIBB],
            otaku=tables[SourceName.OTAKU],
            anibridge=tables[SourceName.ANIBRIDGE],
        )


class SharedSourceIndex:
    """The process's one copy of the index, plus a lock per source for refreshes."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._index: SourceIndex | None = None
        self._stamps: dict[str, datetime] = {}
        self._checked_at = 0.0
        self._refreshing = {source: threading.Lock() for source in SourceName}

    def current(self) -> SourceIndex:
        """The loaded index; loads it on first use and after another process refreshed."""
        with self._lock:
            now = self._monotonic()
            if self._index is not None and now - self._checked_at < self._recheck_seconds:
                return self._index
            with self._sessions() as session:
                # Stamps first: a refresh committing between the two reads then only
                # costs one extra reload on the next check, never a stale index.
                stamps = cache_stamps(session, CACHE_KEYS.values())
                if self._index is None or stamps != self._stamps:
                    loaded = load_source_entries(session)
                    self._index = SourceIndex(
                        fribb=MappingProxyType(loaded[SourceName.FRIBB]),
                        otaku=MappingProxyType(loaded[SourceName.OTAKU]),
                        anibridge=MappingProxyType(loaded[SourceName.ANIBRIDGE]),
                    )
                    self._stamps = stamps
            self._checked_at = now
            return self._index

    def lookup_many(self, anilist_ids: Iterable[int]) -> dict[int, SourceHit]:
        """Every source's entries for many AniList ids: dict access on the shared index."""
        return self.current().lookup_many(anilist_ids)

    def any_loaded(self) -> bool:
        """Whether any source has entries (a miss before any refresh means "refresh")."""
        index = self.current()
        return any(index.count(source) for source in SourceName)

    def install(
        self, source: SourceName, entries: Iterable[SourceEntry], stamp: datetime | None
    ) -> None:
        """Adopt a refresh this process just committed, without reloading from the store."""
        with self._lock:
            if self._index is None:
                return  # nothing loaded yet: the first lookup loads everything anyway
            self._index = self._index.replacing(source, entries)
            key = CACHE_KEYS[source]
            if stamp is None:
                self._stamps.pop(key, None)
            else:
                self._stamps[key] = stamp

    def invalidate(self) -> None:
        """Forget the loaded index; the next lookup reloads it."""
        with self._lock:
            self._index = None
            self._stamps = {}

    @contextmanager
    def refreshing(self, source: SourceName) -> Iterator[None]:
        """Hold `source`'s refresh lock; a second refresh meanwhile is a ConflictError."""
        lock = self._refreshing[source]
        if not lock.acquire(blocking=False):
            raise ConflictError(f"a {source.label} refresh is already running")
        try:
            yield
        finally:
            lock.release()
