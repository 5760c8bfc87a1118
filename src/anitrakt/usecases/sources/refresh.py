"""Refresh the mapping sources (download → validate → replace the cache) and report on them.

Where the cache lives (docs/state-model.md leaves the choice open):

* the normalised index is the table `mapping_source_entries` (migration 0002), one row
  per (source, AniList id) — tens of thousands of rows that a lookup reads by key and
  a refresh replaces wholesale, which a single `system_config` text value would make
  slow to write, slow to load and impossible to query;
* `system_config` keeps the seed's keys meaningful: `cache:<source>` holds the metadata
  of the download the rows came from and `status:<source>:last-sync` when it was last
  checked (`usecases.sources.cache`).

anibridge-mappings is refreshed by `usecases.sources.anibridge` (streamed to a file,
parsed as a stream, its ranges in `anibridge_ranges` and its ids beside Fribb's);
`refresh_source` hands it over, so every edge and the scheduler treat the three alike.

A refresh writes the rows, the metadata and the status keys in ONE transaction, so
the cache is either wholly the old one or wholly the new one. A download that fails or
is not the expected format changes nothing, logs an error naming the source and the
reason, and raises (the API answers a non-2xx JSON error, the CLI exits non-zero).
A download identical to the cached one (same SHA-256, or HTTP 304 for the stored ETag)
only moves `last-sync`: that is the difference between Fribb's `lastSync` and
`lastFullSync` (when the index was last rebuilt).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from anitrakt.clients.download import Fetched, Progress, fetch_source
from anitrakt.clock import utc_now
from anitrakt.domain import keys
from anitrakt.domain.instants import iso_instant
from anitrakt.domain.mapping_source import ParsedSource
from anitrakt.domain.values import SourceName
from anitrakt.errors import AnitraktError
from anitrakt.mappings.fribb import parse_fribb
from anitrakt.mappings.otaku import parse_otaku
from anitrakt.store.source_entries import cache_stamps, count_source_entries, replace_source_entries
from anitrakt.store.system_config import delete_config, get_config_many, set_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.anibridge import refresh_anibridge
from anitrakt.usecases.sources.cache import (
    STATUS_KEYS,
    CacheMeta,
    RefreshOutcome,
    SourceStatus,
    display_url,
    failure_logged,
    record_unchanged,
    source_report,
    source_status,
    source_url,
)
from anitrakt.usecases.sources.index import CACHE_KEYS

# What the edges import from here (the cache's shapes live in `usecases.sources.cache`).
__all__ = [
    "SOURCE_MAX_AGE",
    "RefreshOutcome",
    "SourceStatus",
    "refresh_source",
    "refresh_stale_sources",
    "source_report",
    "source_status",
]

# Fribb and Otaku add ids for new shows every few days, anibridge rebuilds daily; an
# unattended sync refreshes a cache older than this first (a download that did not
# change costs only a digest, or for anibridge a look at `stats.json`).
SOURCE_MAX_AGE = timedelta(hours=24)

# Bump when normalisation changes: a cache built by an older parser is rebuilt even
# when the source file itself did not change.
PARSER_VERSION = 1
PARSERS: dict[SourceName, Callable[[bytes], ParsedSource]] = {
    SourceName.FRIBB: parse_fribb,
    SourceName.OTAKU: parse_otaku,
}


def refresh_stale_sources(
    runtime: Runtime, *, max_age: timedelta = SOURCE_MAX_AGE, now: datetime | None = None
) -> list[SourceName]:
    """Refresh every source never loaded or last refreshed over `max_age` ago.

    For unattended runs: a source that fails is logged by `refresh_source` and keeps its
    previous cache, and the other sources and the sync still go ahead. Returns the sources
    refreshed.
    """
    moment = now or utc_now()
    refreshed = []
    for source in SourceName:
        with runtime.sessions() as session:
            last = source_status(session, source).last_sync
        if last is not None and moment - last < max_age:
            continue
        try:
            refresh_source(runtime, source)
        except AnitraktError:
            continue  # already logged with the reason; the previous cache stays
        refreshed.append(source)
    return refreshed


def refresh_source(
    runtime: Runtime, source: SourceName, progress: Progress | None = None, *, force: bool = False
) -> RefreshOutcome:
    """Refresh one source; on any failure the previous cache stays and an error is logged."""
    if source is SourceName.ANIBRIDGE:
        return refresh_anibridge(runtime, progress, force=force)
    url = source_url(runtime, source)
    with runtime.source_index.refreshing(source):
        with runtime.sessions() as session:
            stored = get_config_many(session, [CACHE_KEYS[source]])
            previous = CacheMeta.from_json(stored.get(CACHE_KEYS[source]))
            reusable = (
                previous is not None
                and not force
                and previous.parser == PARSER_VERSION
                and previous.url == display_url(url)
                and count_source_entries(session, source) == previous.count
            )
        with failure_logged(runtime, source.label, previous):
            fetched = fetch_source(
                url,
                source.label,
                options=runtime.downloads,
                progress=progress,
                etag=previous.etag if reusable and previous else None,
            )
            if (
                reusable
                and previous
                and (fetched.not_modified or fetched.sha256 == previous.sha256)
            ):
                return record_unchanged(runtime, source, previous)
            parsed = PARSERS[source](fetched.data)
            return _store(runtime, source, display_url(url), fetched, parsed)


def _store(
    runtime: Runtime,
    source: SourceName,
    url: str,
    fetched: Fetched,
    parsed: ParsedSource,
) -> RefreshOutcome:
    now = utc_now()
    meta = CacheMeta(
        count=len(parsed.entries),
        url=url,
        sha256=fetched.sha256,
        bytes=len(fetched.data),
        shape=parsed.shape,
        skipped=parsed.skipped,
        fetched_at=now.isoformat(),
        parser=PARSER_VERSION,
        etag=fetched.etag,
        missing_columns=parsed.missing_columns,
    )
    message = f"{source.label} refreshed: {meta.count:,} AniList entries ({meta.shape}) from {url}"
    if parsed.missing_columns:
        message += f"; the file lacks optional columns {', '.join(parsed.missing_columns)}"
    with runtime.sessions.begin() as session:
        replace_source_entries(session, source, parsed.entries)
        set_config(session, CACHE_KEYS[source], meta.to_json())
        set_config(session, STATUS_KEYS[source], now.isoformat())
        if source is SourceName.OTAKU:
            activity = iso_instant(parsed.last_activity)
            if activity is None:
                delete_config(session, keys.STATUS_OTAKU_LAST_ACTIVITY)
            else:
                set_config(session, keys.STATUS_OTAKU_LAST_ACTIVITY, activity)
        stamp = cache_stamps(session, [CACHE_KEYS[source]]).get(CACHE_KEYS[source])
        runtime.events.info(message, session=session)
        status = source_status(session, source)
    runtime.source_index.install(source, parsed.entries, stamp)
    return RefreshOutcome(source, changed=True, message=message, meta=meta, status=status)
