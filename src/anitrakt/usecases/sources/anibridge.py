"""Refresh anibridge-mappings v3 (`ANIBRIDGE_URL`): its episode ranges and its ids.

The release is tens of megabytes and rebuilt daily, so a refresh is careful with it:

1. **Is there anything new?** `stats.json` beside the release (same folder, or the same
   directory for a path) says when it was built (`meta.generated_on`). The same date as
   the cached one ends the refresh there: no big download. Without a usable `stats.json`
   the download itself is conditional (`If-None-Match` / `If-Modified-Since` with the
   previous ETag / Last-Modified), and a body with the cached SHA-256 changes nothing.
2. **Download** to a temporary file, chunk by chunk (never the whole body in memory); a
   local file is read where it is. `mappings.min.json`, `mappings.json` and
   `mappings.json.zst` all work: zstd is recognised by its magic number.
3. **Validate**: the file streams through the release parser
   (`anitrakt.mappings.anibridge.ReleaseReader`) member by member, keeping only each
   entry's compact placement row (for `anibridge_ranges`) and ids (for
   `mapping_source_entries`, source `anibridge`). Anything wrong with the file — HTML,
   truncated, not zstd, no AniList entries — raises here, before anything is written,
   and is logged with the reason; the previous cache stays whole.
4. **Swap in ONE transaction**: both tables, the metadata (`cache:anibridge`) and
   `status:anibridge:last-sync`; readers see the old cache or the new one.

Malformed entries and lines are skipped and counted (`skipped`, `skippedLines`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from anitrakt.clients.download import Downloaded, Progress, download_file, fetch_source, local_path
from anitrakt.clock import utc_now
from anitrakt.domain.mapping_source import SourceEntry
from anitrakt.domain.values import SourceName
from anitrakt.errors import AnitraktError
from anitrakt.mappings.anibridge import ReleaseCounts, ReleaseReader
from anitrakt.mappings.zstd import decompress_stream, looks_like_zstd
from anitrakt.store.anibridge import add_ranges, clear_ranges, count_ranges
from anitrakt.store.source_entries import cache_stamps, count_source_entries, replace_source_entries
from anitrakt.store.system_config import set_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.cache import (
    STATUS_KEYS,
    CacheMeta,
    RefreshOutcome,
    display_url,
    failure_logged,
    record_unchanged,
    source_status,
    stored_meta,
)
from anitrakt.usecases.sources.index import CACHE_KEYS

SOURCE = SourceName.ANIBRIDGE
# Bump when normalisation changes: a cache built by an older parser is rebuilt.
PARSER_VERSION = 1
STATS_NAME = "stats.json"
# stats.json is a few kilobytes; past this it is not the stats file.
STATS_MAX_BYTES = 1024 * 1024
# Rows per insert.
BATCH_ROWS = 5000
_EMPTY_RANGES = "{}"

RangeRow = tuple[int, str, int | None, int | None]


def stats_url(url: str) -> str:
    """Where `stats.json` sits beside the release `url` (a URL, `file://` URL or a path)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "file"):
        folder = parts.path.rsplit("/", 1)[0]
        return urlunsplit(parts._replace(path=f"{folder}/{STATS_NAME}", query="", fragment=""))
    path = local_path(url)
    assert path is not None
    return str(path.with_name(STATS_NAME))


def generated_on(runtime: Runtime, url: str) -> str | None:
    """`meta.generated_on` of the `stats.json` beside `url`; None when there is none to read.

    Any failure (no such file, not JSON, no date) only means the release itself is
    checked instead, so it is not an error.
    """
    options = replace(runtime.downloads, max_bytes=STATS_MAX_BYTES)
    try:
        fetched = fetch_source(stats_url(url), SOURCE.label, options=options)
        document = json.loads(fetched.data)
    except (AnitraktError, ValueError):
        return None
    meta = document.get("meta") if isinstance(document, dict) else None
    value = meta.get("generated_on") if isinstance(meta, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def refresh_anibridge(
    runtime: Runtime, progress: Progress | None = None, *, force: bool = False
) -> RefreshOutcome:
    """Refresh anibridge-mappings; on any failure the old cache stays and an error is logged."""
    url = runtime.settings.anibridge_url
    with runtime.source_index.refreshing(SOURCE):
        with runtime.sessions() as session:
            previous = stored_meta(session, SOURCE)
            reusable = (
                previous is not None
                and not force
                and previous.parser == PARSER_VERSION
                and previous.url == display_url(url)
                and count_ranges(session) == previous.ranges
                and count_source_entries(session, SOURCE) == previous.ids
            )
        cached = previous if reusable else None
        with failure_logged(runtime, SOURCE.label, previous):
            built = generated_on(runtime, url)
            if cached is not None and built is not None and built == cached.generated_on:
                return record_unchanged(runtime, SOURCE, cached, f"stats.json: built {built}")
            with download_file(
                url,
                SOURCE.label,
                options=runtime.downloads,
                progress=progress,
                etag=cached.etag if cached else None,
                last_modified=cached.last_modified if cached else None,
            ) as downloaded:
                if cached is not None and (
                    downloaded.not_modified or downloaded.sha256 == cached.sha256
                ):
                    return _unchanged(runtime, cached, built)
                return _store(runtime, display_url(url), downloaded, built)


def _unchanged(runtime: Runtime, cached: CacheMeta, built: str | None) -> RefreshOutcome:
    """The same bytes again; a new `generated_on` is remembered, so the next check is cheap."""
    if built is not None and built != cached.generated_on:
        cached = replace(cached, generated_on=built)
        with runtime.sessions.begin() as session:
            set_config(session, CACHE_KEYS[SOURCE], cached.to_json())
    return record_unchanged(runtime, SOURCE, cached)


def _has_ids(entry: SourceEntry) -> bool:
    return entry.tmdb_id is not None or entry.tvdb_id is not None or entry.imdb_id is not None


@dataclass(slots=True)
class _Read:
    """A validated release: what a refresh writes, and what it saw on the way."""

    compressed: bool
    count: int
    rows: list[RangeRow]
    entries: list[SourceEntry]
    counts: ReleaseCounts
    generated_on: str | None


def _read(path: Path) -> _Read:
    """Stream the whole release through the parser; raises when it is not the format.

    Only what the tables get is kept (one compact row and one id record per entry, not
    the parsed file), so the write that follows is short: SQLite has one writer, and a
    sync running beside a refresh must not wait out its parse.
    """
    rows: list[RangeRow] = []
    entries: list[SourceEntry] = []
    count = 0
    with path.open("rb") as handle:
        # zstd is recognised by its magic number, whatever the URL's name says.
        compressed = looks_like_zstd(handle.read(4))
        handle.seek(0)
        source = decompress_stream(handle, label=SOURCE.label) if compressed else handle
        reader = ReleaseReader(source)
        for record in reader.records():
            count += 1
            entry = record.source_entry()
            if _has_ids(entry):
                entries.append(entry)
            if record.ranges_json != _EMPTY_RANGES:
                rows.append(
                    (record.anilist_id, record.ranges_json, record.tmdb_show_id, record.tvdb_id)
                )
    return _Read(compressed, count, rows, entries, reader.counts, reader.meta.generated_on)


def _store(runtime: Runtime, url: str, downloaded: Downloaded, built: str | None) -> RefreshOutcome:
    assert downloaded.path is not None
    read = _read(downloaded.path)
    rows, entries, lines = read.rows, read.entries, read.counts.lines
    now = utc_now()
    meta = CacheMeta(
        count=read.count,
        url=url,
        sha256=downloaded.sha256,
        bytes=downloaded.size,
        shape="zstd" if read.compressed else "json",
        skipped=read.counts.entries_skipped,
        fetched_at=now.isoformat(),
        parser=PARSER_VERSION,
        etag=downloaded.etag,
        generated_on=built or read.generated_on,
        last_modified=downloaded.last_modified,
        ranges=len(rows),
        ids=len(entries),
        skipped_lines=lines.keys_skipped + lines.lines_skipped,
    )
    message = (
        f"{SOURCE.label} refreshed: {meta.count:,} AniList entries ({len(rows):,} with episode "
        f"ranges, {len(entries):,} with ids; {meta.skipped:,} entries and "
        f"{meta.skipped_lines:,} lines skipped as malformed) from {url}"
    )
    with runtime.sessions.begin() as session:
        clear_ranges(session)
        for start in range(0, len(rows), BATCH_ROWS):
            add_ranges(session, rows[start : start + BATCH_ROWS])
        replace_source_entries(session, SOURCE, entries)
        set_config(session, CACHE_KEYS[SOURCE], meta.to_json())
        set_config(session, STATUS_KEYS[SOURCE], now.isoformat())
        stamp = cache_stamps(session, [CACHE_KEYS[SOURCE]]).get(CACHE_KEYS[SOURCE])
        runtime.events.info(message, session=session)
        status = source_status(session, SOURCE)
    runtime.source_index.install(SOURCE, entries, stamp)
    return RefreshOutcome(SOURCE, changed=True, message=message, meta=meta, status=status)
