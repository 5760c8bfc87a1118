"""Refresh the mapping sources (download → validate → replace the cache) and report on them.

Where the cache lives (docs/state-model.md leaves the choice open):

* the normalised index is the table `mapping_source_entries` (migration 0002), one row
  per (source, AniList id) — tens of thousands of rows that a lookup reads by key and
  a refresh replaces wholesale, which a single `system_config` text value would make
  slow to write, slow to load and impossible to query;
* `system_config` keeps the seed's keys meaningful: `cache:fribbs` / `cache:otaku` hold
  the metadata of the download the rows came from — JSON `{count, url, sha256, bytes,
  etag, shape, skipped, fetchedAt, parser, missingColumns}` — and `status:fribbs:last-sync`,
  `status:otaku:last-sync`, `status:otaku:last-activity` hold ISO-8601 UTC instants.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session

from anitrakt.clients.download import Fetched, Progress, fetch_source
from anitrakt.clock import utc_now
from anitrakt.domain import keys
from anitrakt.domain.instants import iso_instant, parse_instant
from anitrakt.domain.mapping_source import ParsedSource
from anitrakt.domain.values import SourceName
from anitrakt.errors import AnitraktError, MappingSourceError
from anitrakt.mappings.fribb import parse_fribb
from anitrakt.mappings.otaku import parse_otaku
from anitrakt.store.source_entries import cache_stamps, count_source_entries, replace_source_entries
from anitrakt.store.system_config import delete_config, get_config_many, set_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.index import CACHE_KEYS

# Fribb and Otaku add ids for new shows every few days; an unattended sync refreshes a
# cache older than this first (a download that did not change costs only a digest).
SOURCE_MAX_AGE = timedelta(hours=24)

# Bump when normalisation changes: a cache built by an older parser is rebuilt even
# when the source file itself did not change.
PARSER_VERSION = 1
STATUS_KEYS = {
    SourceName.FRIBB: keys.STATUS_FRIBBS_LAST_SYNC,
    SourceName.OTAKU: keys.STATUS_OTAKU_LAST_SYNC,
}
PARSERS: dict[SourceName, Callable[[bytes], ParsedSource]] = {
    SourceName.FRIBB: parse_fribb,
    SourceName.OTAKU: parse_otaku,
}


@dataclass(frozen=True, slots=True)
class CacheMeta:
    """What `cache:<source>` holds: where the cached rows came from."""

    count: int
    url: str
    sha256: str
    bytes: int
    shape: str
    skipped: int
    fetched_at: str
    parser: int
    etag: str | None = None
    missing_columns: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "url": self.url,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "etag": self.etag,
            "shape": self.shape,
            "skipped": self.skipped,
            "fetchedAt": self.fetched_at,
            "parser": self.parser,
            "missingColumns": list(self.missing_columns),
        }

    @classmethod
    def from_json(cls, value: Any) -> CacheMeta | None:
        """The metadata in a stored value, or None for anything else (e.g. a legacy cache)."""
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                count=int(value["count"]),
                url=str(value["url"]),
                sha256=str(value["sha256"]),
                bytes=int(value["bytes"]),
                shape=str(value["shape"]),
                skipped=int(value.get("skipped", 0)),
                fetched_at=str(value["fetchedAt"]),
                parser=int(value.get("parser", 0)),
                etag=value.get("etag") if isinstance(value.get("etag"), str) else None,
                missing_columns=tuple(str(c) for c in value.get("missingColumns") or ()),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """The `?check=1` answer: Fribb uses `last_full_sync`, Otaku `last_activity`."""

    source: SourceName
    count: int
    last_sync: datetime | None
    last_full_sync: datetime | None
    last_activity: datetime | None


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    """What a refresh did; `changed` is False when the download matched the cache."""

    source: SourceName
    changed: bool
    message: str
    meta: CacheMeta
    status: SourceStatus


def display_url(url: str) -> str:
    """`url` without user name or password, for metadata and logs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def source_url(runtime: Runtime, source: SourceName) -> str:
    settings = runtime.settings
    return settings.fribbs_url if source is SourceName.FRIBB else settings.otaku_url


def source_status(session: Session, source: SourceName) -> SourceStatus:
    """Count and last refresh times of `source`, from `system_config` in one query."""
    wanted = [CACHE_KEYS[source], STATUS_KEYS[source]]
    if source is SourceName.OTAKU:
        wanted.append(keys.STATUS_OTAKU_LAST_ACTIVITY)
    stored = get_config_many(session, wanted)
    meta = CacheMeta.from_json(stored.get(CACHE_KEYS[source]))
    return SourceStatus(
        source=source,
        count=meta.count if meta else 0,
        last_sync=parse_instant(stored.get(STATUS_KEYS[source])),
        last_full_sync=parse_instant(meta.fetched_at) if meta else None,
        last_activity=parse_instant(stored.get(keys.STATUS_OTAKU_LAST_ACTIVITY)),
    )


def source_report(runtime: Runtime, source: SourceName) -> SourceStatus:
    """`source_status` in a session of its own: the `?check=1` answer and `--check`."""
    with runtime.sessions() as session:
        return source_status(session, source)


def refresh_stale_sources(
    runtime: Runtime, *, max_age: timedelta = SOURCE_MAX_AGE, now: datetime | None = None
) -> list[SourceName]:
    """Refresh every source never loaded or last refreshed over `max_age` ago.

    For unattended runs: a source that fails is logged by `refresh_source` and keeps its
    previous cache, and the other source and the sync still go ahead. Returns the sources
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
        try:
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
                return _unchanged(runtime, source, previous)
            parsed = PARSERS[source](fetched.data)
            return _store(runtime, source, display_url(url), fetched, parsed)
        except AnitraktError as exc:
            reason = exc.reason if isinstance(exc, MappingSourceError) else exc.message
            runtime.events.error(f"{source.label} refresh failed: {reason}; {_kept(previous)}")
            raise
        except Exception as exc:
            runtime.events.error(
                f"{source.label} refresh failed unexpectedly ({type(exc).__name__}); "
                f"{_kept(previous)}"
            )
            raise


def _kept(previous: CacheMeta | None) -> str:
    if previous is None:
        return "there was no previous cache"
    return f"kept the previous cache ({previous.count:,} entries from {previous.fetched_at})"


def _unchanged(runtime: Runtime, source: SourceName, previous: CacheMeta) -> RefreshOutcome:
    now = utc_now()
    message = (
        f"{source.label} is unchanged since {previous.fetched_at}; "
        f"kept its {previous.count:,} AniList entries"
    )
    with runtime.sessions.begin() as session:
        set_config(session, STATUS_KEYS[source], now.isoformat())
        runtime.events.info(message, session=session)
        status = source_status(session, source)
    return RefreshOutcome(source, changed=False, message=message, meta=previous, status=status)


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
