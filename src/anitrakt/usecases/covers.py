"""Cover thumbnails: kept when a sync reads the entries, served by the app itself.

A run hands every entry it read to `CoverKeeper.keep`; covers not cached yet (or whose
URL changed) are fetched from AniList's CDN, at most `MAX_COVERS_PER_RUN` a run, so a
first import of thousands of entries fills the cache over a few runs instead of holding
the sync lease. Covers are decoration: a failure is logged and never fails the run, and
after `GIVE_UP_AFTER` failures in a row the rest wait for the next run (docs/covers.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from anitrakt.config import Settings
from anitrakt.domain.anilist import Media
from anitrakt.domain.covers import Cover
from anitrakt.domain.ids import parse_anilist_id
from anitrakt.errors import AnitraktError, NotFoundError
from anitrakt.store.covers import CoverCache

if TYPE_CHECKING:
    from anitrakt.clients.covers import CoverClient
    from anitrakt.usecases.container import Runtime

logger = logging.getLogger("anitrakt.covers")

MAX_COVERS_PER_RUN = 200
GIVE_UP_AFTER = 3
COVER_DIRECTORY = "covers"
MEBIBYTE = 1024 * 1024


def cover_cache(settings: Settings) -> CoverCache:
    """ANITRAKT_DATA_DIR/covers, capped at COVER_CACHE_MB (0: covers off)."""
    directory = settings.anitrakt_data_dir / COVER_DIRECTORY
    return CoverCache(directory, int(settings.cover_cache_mb * MEBIBYTE))


@dataclass(frozen=True, slots=True)
class CoverRun:
    fetched: int = 0
    failed: int = 0
    left: int = 0  # still missing: past the per-run limit, or given up on


class CoverKeeper:
    """Fetches the covers a run's entries lack into the cache."""

    def __init__(self, client: CoverClient, cache: CoverCache) -> None:
        self.client = client
        self.cache = cache

    def keep(
        self,
        media: Iterable[Media],
        *,
        limit: int = MAX_COVERS_PER_RUN,
        stop: threading.Event | None = None,
    ) -> CoverRun:
        """Fetch what is missing; `stop` set (the process is shutting down) ends it at once."""
        wanted = [
            m
            for m in {m.id: m for m in media}.values()
            if m.cover_url and self.client.allowed(m.cover_url)
        ]
        kept = self.cache.kept()
        missing = [m for m in wanted if not self.cache.has(m.id, m.cover_url or "", kept)]
        fetched = failed = in_a_row = left = 0
        for position, item in enumerate(missing):
            stopping = stop is not None and stop.is_set()
            if stopping or fetched + failed >= limit or in_a_row >= GIVE_UP_AFTER:
                left = len(missing) - position
                logger.info("covers: %d left for a later run", left)
                break
            url = item.cover_url or ""
            try:
                cover = self.client.fetch(url)
                old = kept.get(item.id, ("", None))[1]
                self.cache.put(item.id, url, cover.body, cover.media_type, replaces=old, trim=False)
            except (AnitraktError, OSError) as exc:
                failed += 1
                in_a_row += 1
                reason = exc.message if isinstance(exc, AnitraktError) else type(exc).__name__
                logger.info("covers: AniList %d not kept: %s", item.id, reason)
                continue
            fetched += 1
            in_a_row = 0
        if fetched:
            self._trim()
        return CoverRun(fetched, failed, left)

    def _trim(self) -> None:
        try:
            self.cache.trim()
        except OSError as exc:
            logger.info("covers: could not trim the cache: %s", type(exc).__name__)


class CoverFiller:
    """Fetches the covers of a whole-list read in the background, one fill at a time.

    The library page reads the whole AniList list, which the incremental full sync
    never does: its entries' covers are filled here, behind the page (the next load
    shows them), never holding the request. A fill already running takes no other.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, media: Iterable[Media]) -> bool:
        """Start a fill for the covers `media` lack; False when one is running or none lack."""
        runtime = self._runtime
        cache = runtime.cover_cache
        kept = cache.kept() if cache.enabled else {}
        wanted = [m for m in media if m.cover_url and not cache.has(m.id, m.cover_url, kept)]
        if not cache.enabled or not wanted or runtime.stop.is_set():
            return False
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._thread = threading.Thread(
                target=self._fill, args=(wanted,), name="anitrakt-covers", daemon=True
            )
            self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> None:
        """Until the running fill (if any) has ended (tests; a shutdown does not wait)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _fill(self, media: list[Media]) -> None:
        from anitrakt.clients.covers import CoverClient

        runtime = self._runtime
        try:
            with CoverClient.from_settings(
                runtime.settings,
                clock=runtime.clock,
                transport=runtime.transport,
                observer=runtime.metrics,
            ) as client:
                CoverKeeper(client, runtime.cover_cache).keep(media, stop=runtime.stop)
        except Exception as exc:  # decoration: never let a fill's failure escape a thread
            logger.warning("covers: a background fill failed: %s", type(exc).__name__)


def cached_cover_ids(runtime: Runtime) -> frozenset[int]:
    """The entries whose cover the app can serve (pages show an image for these only)."""
    return runtime.cover_cache.cached_ids() if runtime.cover_cache.enabled else frozenset()


def cover_file(runtime: Runtime, anilist_id: str) -> Cover:
    """The cached cover of one entry, or NotFoundError (InputError for a bad id)."""
    entry = parse_anilist_id(anilist_id)
    cached = runtime.cover_cache.get(entry) if runtime.cover_cache.enabled else None
    try:
        if cached is not None:
            return Cover(cached.path.read_bytes(), cached.media_type)
    except FileNotFoundError:
        pass  # trimmed by another run between the lookup and the read
    raise NotFoundError(f"no cover is cached for AniList {entry}")
