"""What a mapping source's cache says about itself: its metadata, its status, a refresh's answer.

`system_config` keeps the seed's keys meaningful: `cache:fribbs`, `cache:otaku` and
`cache:anibridge` hold the metadata of the download the cached rows came from — JSON
`{count, url, sha256, bytes, etag, shape, skipped, fetchedAt, parser, missingColumns}`,
plus for anibridge `{generatedOn, lastModified, ranges, ids, skippedLines}` — and
`status:<source>:last-sync` (and `status:otaku:last-activity`) hold ISO-8601 UTC instants.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session

from anitrakt.clock import utc_now
from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.domain.values import SourceName
from anitrakt.errors import AnitraktError, MappingSourceError
from anitrakt.store.system_config import get_config_many, set_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.index import CACHE_KEYS

STATUS_KEYS = {
    SourceName.FRIBB: keys.STATUS_FRIBBS_LAST_SYNC,
    SourceName.OTAKU: keys.STATUS_OTAKU_LAST_SYNC,
    SourceName.ANIBRIDGE: keys.STATUS_ANIBRIDGE_LAST_SYNC,
}
# The anibridge-only members of the metadata, by attribute and JSON name.
_OPTIONAL = (
    ("generated_on", "generatedOn"),
    ("last_modified", "lastModified"),
    ("ranges", "ranges"),
    ("ids", "ids"),
    ("skipped_lines", "skippedLines"),
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class CacheMeta:
    """What `cache:<source>` holds: where the cached rows came from.

    For anibridge, `count` is the AniList entries read, `ranges` those with placement
    lines (rows of `anibridge_ranges`), `ids` those with TMDB/TVDB/IMDb ids (rows of
    `mapping_source_entries`), `skipped` the entries and `skipped_lines` the lines left
    out as malformed, `generated_on` when the release was built (`stats.json`, else its
    `$meta`).
    """

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
    generated_on: str | None = None
    last_modified: str | None = None
    ranges: int | None = None
    ids: int | None = None
    skipped_lines: int | None = None

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
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
        for attribute, name in _OPTIONAL:
            if getattr(self, attribute) is not None:
                value[name] = getattr(self, attribute)
        return value

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
                generated_on=_text(value.get("generatedOn")),
                last_modified=_text(value.get("lastModified")),
                ranges=_number(value.get("ranges")),
                ids=_number(value.get("ids")),
                skipped_lines=_number(value.get("skippedLines")),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """The `?check=1` answer: Fribb and anibridge use `last_full_sync`, Otaku `last_activity`.

    `generated_on`: when the cached anibridge release was built upstream.
    """

    source: SourceName
    count: int
    last_sync: datetime | None
    last_full_sync: datetime | None
    last_activity: datetime | None
    generated_on: datetime | None = None


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
    if source is SourceName.ANIBRIDGE:
        return settings.anibridge_url
    return settings.fribbs_url if source is SourceName.FRIBB else settings.otaku_url


def stored_meta(session: Session, source: SourceName) -> CacheMeta | None:
    """The cached download's metadata, or None before the first refresh."""
    return CacheMeta.from_json(
        get_config_many(session, [CACHE_KEYS[source]]).get(CACHE_KEYS[source])
    )


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
        generated_on=parse_instant(meta.generated_on) if meta else None,
    )


def source_report(runtime: Runtime, source: SourceName) -> SourceStatus:
    """`source_status` in a session of its own: the `?check=1` answer and `--check`."""
    with runtime.sessions() as session:
        return source_status(session, source)


def _kept(previous: CacheMeta | None) -> str:
    """The end of a failed refresh's log line: what stays."""
    if previous is None:
        return "there was no previous cache"
    return f"kept the previous cache ({previous.count:,} entries from {previous.fetched_at})"


@contextmanager
def failure_logged(runtime: Runtime, label: str, previous: CacheMeta | None) -> Iterator[None]:
    """Log why a refresh failed and what cache stays, then let the error go on."""
    try:
        yield
    except AnitraktError as exc:
        reason = exc.reason if isinstance(exc, MappingSourceError) else exc.message
        runtime.events.error(f"{label} refresh failed: {reason}; {_kept(previous)}")
        raise
    except Exception as exc:
        runtime.events.error(
            f"{label} refresh failed unexpectedly ({type(exc).__name__}); {_kept(previous)}"
        )
        raise


def record_unchanged(
    runtime: Runtime, source: SourceName, previous: CacheMeta, why: str | None = None
) -> RefreshOutcome:
    """An upstream that did not change: only `last-sync` moves (and the log says so)."""
    now = utc_now()
    message = (
        f"{source.label} is unchanged since {previous.fetched_at}"
        f"{f' ({why})' if why else ''}; kept its {previous.count:,} AniList entries"
    )
    with runtime.sessions.begin() as session:
        set_config(session, STATUS_KEYS[source], now.isoformat())
        runtime.events.info(message, session=session)
        status = source_status(session, source)
    return RefreshOutcome(source, changed=False, message=message, meta=previous, status=status)
