"""A static-file server (ASGI) for mapping-source downloads, and builders of its files.

The builders make Fribb JSON lists, Otaku SQLite databases and anibridge-mappings
releases (`mappings.min.json`, its zstd `mappings.json.zst`, and `stats.json`).

`put(path, body)` serves bytes (with an ETag, answering 304 to a matching
If-None-Match); `fail(path, 500, 500)` makes the next requests to `path` answer those
statuses first; `chunked=True` sends the body in pieces without Content-Length, like a
server that does not say how big the download is. Every request is recorded, so a test
can say how many reached the "upstream". Missing paths answer 404 with an HTML page, as
GitHub does.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import zstandard

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

NOT_FOUND_PAGE = b"<!DOCTYPE html><html><body><h1>404: Not Found</h1></body></html>"
CHUNK_SIZE = 64 * 1024


@dataclass
class Served:
    body: bytes
    content_type: str = "application/octet-stream"
    etag: str | None = None
    chunked: bool = False


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FileServer:
    """Serves registered bytes by path; see the module docstring."""

    files: dict[str, Served] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    _faults: dict[str, deque[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        etag: bool = True,
        chunked: bool = False,
    ) -> None:
        tag = f'"{hashlib.sha1(body).hexdigest()}"' if etag else None  # noqa: S324 - an ETag
        self.files[path] = Served(body, content_type, tag, chunked)

    def fail(self, path: str, *statuses: int) -> None:
        """Answer the next requests to `path` with these statuses, in order."""
        self._faults.setdefault(path, deque()).extend(statuses)

    def reset(self) -> None:
        with self._lock:
            self.files.clear()
            self.requests.clear()
            self._faults.clear()

    def count(self, path: str | None = None) -> int:
        """Requests received (for `path`, or all)."""
        return sum(1 for r in self.requests if path is None or r.path == path)

    def _next_fault(self, path: str) -> int | None:
        with self._lock:
            queue = self._faults.get(path)
            return queue.popleft() if queue else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        fault = self._next_fault(path)
        served = self.files.get(path)
        if fault is not None:
            status, body, kind, extra = fault, b'{"error":"scripted"}', "application/json", []
        elif served is None:
            status, body, kind, extra = 404, NOT_FOUND_PAGE, "text/html; charset=utf-8", []
        elif served.etag is not None and headers.get("if-none-match") == served.etag:
            status, body, kind, extra = 304, b"", served.content_type, [("etag", served.etag)]
        else:
            status, body, kind = 200, served.body, served.content_type
            extra = [("etag", served.etag)] if served.etag else []
        self.requests.append(Recorded(scope["method"], path, headers, status))
        chunked = served is not None and served.chunked and status == 200
        raw_headers = [(b"content-type", kind.encode())]
        raw_headers += [(k.encode(), v.encode()) for k, v in extra]
        if not chunked:
            raw_headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        if not chunked:
            await send({"type": "http.response.body", "body": body})
            return
        for start in range(0, len(body), CHUNK_SIZE):
            piece = body[start : start + CHUNK_SIZE]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


# --- builders of the files the server serves -------------------------------------------

OTAKU_COLUMNS: dict[str, str] = {
    "mal_id": "INTEGER",
    "anilist_id": "INTEGER",
    "anidb_id": "INTEGER",
    "thetvdb_id": "INTEGER",
    "themoviedb_id": "INTEGER",
    "imdb_id": "TEXT",
    "trakt_id": "INTEGER",
    "anime_media_type": "TEXT",
    "global_media_type": "TEXT",
    "thetvdb_season": "INTEGER",
    "thetvdb_part": "INTEGER",
}


def fribb_json(entries: list[Any]) -> bytes:
    """A Fribb list file (entries as given: either shape, or deliberately broken)."""
    return json.dumps(entries).encode()


def otaku_db(
    rows: list[dict[str, Any]],
    *,
    columns: Iterable[str] = OTAKU_COLUMNS,
    last_updated: int | None = 1_714_000_000,
) -> bytes:
    """An Otaku-format SQLite file: table `anime` with `columns`, and `activities`.

    Row keys outside `columns` are dropped, so one row list can build files with and
    without the optional columns. `last_updated=None` leaves `activities` out.
    """
    names = list(columns)
    with closing(sqlite3.connect(":memory:")) as db:
        declared = ", ".join(f"{name} {OTAKU_COLUMNS.get(name, 'TEXT')}" for name in names)
        db.execute(f"CREATE TABLE anime ({declared})")
        marks = ", ".join("?" for _ in names)
        db.executemany(
            f"INSERT INTO anime ({', '.join(names)}) VALUES ({marks})",
            [tuple(row.get(name) for name in names) for row in rows],
        )
        if last_updated is not None:
            db.execute("CREATE TABLE activities (sync_id INTEGER, last_updated INTEGER)")
            db.execute("INSERT INTO activities VALUES (1, ?)", (last_updated - 3600,))
            db.execute("INSERT INTO activities VALUES (2, ?)", (last_updated,))
        db.commit()
        return db.serialize()


def sqlite_bytes(*statements: str) -> bytes:
    """A SQLite file built by running `statements` (for files that are wrong on purpose)."""
    with closing(sqlite3.connect(":memory:")) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()
        return db.serialize()


ANIBRIDGE_GENERATED_ON = "2026-02-27T00:00:00Z"


def anibridge_release(
    members: dict[str, Any], *, generated_on: str = ANIBRIDGE_GENERATED_ON
) -> bytes:
    """A v3 release file (`mappings.min.json`): `$meta`, then `members` as given."""
    document = {"$meta": {"schema_version": "3.0.0", "generated_on": generated_on}, **members}
    return json.dumps(document, separators=(",", ":")).encode()


def zstd(body: bytes) -> bytes:
    """`body` zstd-compressed, as `mappings.json.zst` is."""
    return zstandard.ZstdCompressor(level=3).compress(body)


def anibridge_stats(generated_on: str = ANIBRIDGE_GENERATED_ON) -> bytes:
    """The release's `stats.json`: when it was built (and a few counts beside)."""
    meta = {"generated_on": generated_on, "schema_version": "3.0.0"}
    return json.dumps({"meta": meta, "counts": {"anilist": 0}}).encode()
