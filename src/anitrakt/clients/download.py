"""Fetch a mapping source from `http(s)://`, `file://` or a plain path, size-capped.

HTTP goes through the shared `HttpClient` (User-Agent, timeouts, bounded retries with
Retry-After, typed errors). A metering transport under it counts the body as it comes
off the wire: it reports progress and stops the download the moment it passes
`max_bytes` (or up front, from Content-Length), so a wrong URL serving something huge
costs at most the cap. Bodies are requested without compression (`identity`) so the
cap bounds what lands in memory — a gzip bomb cannot inflate past it. `fetch_source`
keeps the body in memory because Fribb's and Otaku's parsers need all of it
(json.loads; SQLite needs a file). `download_file` streams it to a temporary file
instead (chunk by chunk, hashed on the way), for the anibridge release that is parsed
as a stream; a local file is read where it is.

A conditional request (`If-None-Match` with the ETag of the previous download, and
`If-Modified-Since` with its Last-Modified) lets an unchanged upstream answer 304
without sending the list again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from anitrakt.clients.http import HttpClient, HttpObserver, RetryPolicy, Upstream, body_chunks
from anitrakt.clock import Clock, SystemClock
from anitrakt.errors import MappingSourceError, UpstreamNotFound, UpstreamRejected

# Fribb's full list is ~40 MB at most and Otaku's database smaller; past this a URL points
# at the wrong thing.
MAX_SOURCE_BYTES = 200 * 1024 * 1024
LOCAL_READ_CHUNK = 1024 * 1024
NOT_MODIFIED = 304
# A mapping refresh is run by hand or on a schedule: a few quick retries, then report.
DOWNLOAD_RETRY = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=10.0, max_retry_after=60.0)

Progress = Callable[[int, int | None], None]
"""Called with (bytes received so far, total bytes when known)."""


@dataclass
class DownloadOptions:
    """How sources are fetched; tests shrink the cap and the retry waits."""

    max_bytes: int = MAX_SOURCE_BYTES
    retry: RetryPolicy = DOWNLOAD_RETRY
    clock: Clock = field(default_factory=SystemClock)
    transport: httpx.BaseTransport | None = None
    observer: HttpObserver | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded body with its digest; `not_modified` when the upstream answered 304."""

    data: bytes
    sha256: str
    etag: str | None = None
    not_modified: bool = False


def _too_large(label: str, size: int, limit: int) -> MappingSourceError:
    return MappingSourceError(
        label, f"the download is {size:,} bytes or more, over the {limit:,}-byte limit"
    )


class _MeteredStream(httpx.SyncByteStream):
    def __init__(
        self,
        inner: httpx.SyncByteStream,
        *,
        label: str,
        limit: int,
        total: int | None,
        progress: Progress | None,
    ) -> None:
        self._inner = inner
        self._label = label
        self._limit = limit
        self._total = total
        self._progress = progress

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        for chunk in self._inner:
            received += len(chunk)
            if received > self._limit:
                raise _too_large(self._label, received, self._limit)
            if self._progress is not None:
                self._progress(received, self._total)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _MeteredTransport(httpx.BaseTransport):
    """Wraps the real transport; meters and caps every response body."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        label: str,
        limit: int,
        progress: Progress | None,
    ) -> None:
        self._inner = inner
        self._label = label
        self._limit = limit
        self._progress = progress

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        length_header = response.headers.get("Content-Length", "")
        total = int(length_header) if length_header.isdigit() else None
        if total is not None and total > self._limit:
            response.close()
            raise _too_large(self._label, total, self._limit)
        if not isinstance(response.stream, httpx.SyncByteStream):
            return response  # not a sync body; the size is still checked after reading
        response.stream = _MeteredStream(
            response.stream,
            label=self._label,
            limit=self._limit,
            total=total,
            progress=self._progress if response.status_code == httpx.codes.OK else None,
        )
        return response

    def close(self) -> None:
        self._inner.close()


def _client(
    url: str, label: str, options: DownloadOptions, progress: Progress | None
) -> HttpClient:
    inner = options.transport or httpx.HTTPTransport()
    upstream = Upstream(
        name=label,
        base_url=url,
        clock=options.clock,
        retry=options.retry,
        transport=_MeteredTransport(inner, label=label, limit=options.max_bytes, progress=progress),
        observer=options.observer,
    )
    return HttpClient(upstream)


def _headers(etag: str | None, last_modified: str | None = None) -> dict[str, str]:
    headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _get(
    client: HttpClient, url: str, label: str, headers: dict[str, str], *, stream: bool
) -> httpx.Response:
    try:
        return client.request(
            "GET", url, headers=headers, ok_statuses=(NOT_MODIFIED,), stream=stream
        )
    except UpstreamNotFound:
        reason = "the server answered HTTP 404 (no file at that URL)"
        raise MappingSourceError(label, reason) from None
    except UpstreamRejected as exc:
        reason = f"the server refused the download (HTTP {exc.status})"
        raise MappingSourceError(label, reason) from None


def _fetch_http(
    url: str, label: str, options: DownloadOptions, progress: Progress | None, etag: str | None
) -> Fetched:
    with _client(url, label, options, progress) as client:
        response = _get(client, url, label, _headers(etag), stream=False)
    if response.status_code == NOT_MODIFIED:
        return Fetched(b"", "", etag=etag, not_modified=True)
    data = response.content
    if len(data) > options.max_bytes:  # a proxy from the environment bypasses the meter
        raise _too_large(label, len(data), options.max_bytes)
    return Fetched(data, hashlib.sha256(data).hexdigest(), etag=response.headers.get("ETag"))


def local_path(url: str) -> Path | None:
    """The file a `file://` URL or plain path names; None for http(s) URLs."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return None
    if parts.scheme == "file":
        return Path(url2pathname(unquote(parts.path)))
    return Path(url).expanduser()


def _check_scheme(url: str, label: str) -> None:
    scheme = urlsplit(url).scheme
    # One letter is a Windows drive ("C:\\lists\\x.json"), not a scheme.
    if len(scheme) > 1 and scheme not in ("http", "https", "file"):
        raise MappingSourceError(
            label, f"unsupported URL scheme {scheme}://; use http(s)://, file:// or a path"
        )


def _read_local(
    path: Path, label: str, options: DownloadOptions, progress: Progress | None
) -> Iterator[bytes]:
    """A local file's chunks, within the size cap, with progress; errors name the file."""
    try:
        with path.open("rb") as handle:
            total = path.stat().st_size
            if total > options.max_bytes:
                raise _too_large(label, total, options.max_bytes)
            received = 0
            # Read one chunk past the cap, in case the file grows while we read it.
            while chunk := handle.read(LOCAL_READ_CHUNK):
                received += len(chunk)
                if received > options.max_bytes:
                    raise _too_large(label, received, options.max_bytes)
                yield chunk
                if progress is not None:
                    progress(received, total)
    except IsADirectoryError:
        raise MappingSourceError(label, f"{path} is a folder, not a file") from None
    except FileNotFoundError:
        raise MappingSourceError(label, f"{path} does not exist") from None
    except OSError as exc:
        raise MappingSourceError(label, f"cannot read {path} ({exc.strerror})") from None


def _fetch_file(
    path: Path, label: str, options: DownloadOptions, progress: Progress | None
) -> Fetched:
    data = b"".join(_read_local(path, label, options, progress))
    return Fetched(data, hashlib.sha256(data).hexdigest())


def fetch_source(
    url: str,
    label: str,
    *,
    options: DownloadOptions | None = None,
    progress: Progress | None = None,
    etag: str | None = None,
) -> Fetched:
    """Download `url` (http, https, file:// or a path), capped at `options.max_bytes`."""
    options = options or DownloadOptions()
    _check_scheme(url, label)
    path = local_path(url)
    if path is None:
        return _fetch_http(url, label, options, progress, etag)
    return _fetch_file(path, label, options, progress)


@dataclass(frozen=True, slots=True)
class Downloaded:
    """A body on disk (`path`), its digest and size; `not_modified` when the upstream said 304.

    `last_modified` is the server's Last-Modified, for the next conditional request.
    """

    path: Path | None
    sha256: str
    size: int
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


def _to_file(
    url: str,
    label: str,
    options: DownloadOptions,
    progress: Progress | None,
    validators: tuple[str | None, str | None],
    folder: Path | None,
) -> Iterator[Downloaded]:
    with _client(url, label, options, progress) as client:
        response = _get(client, url, label, _headers(*validators), stream=True)
        try:
            if response.status_code == NOT_MODIFIED:
                yield Downloaded(None, "", 0, validators[0], validators[1], not_modified=True)
                return
            yield from _write_body(response, label, options, folder)
        finally:
            response.close()


def _write_body(
    response: httpx.Response, label: str, options: DownloadOptions, folder: Path | None
) -> Iterator[Downloaded]:
    digest, size = hashlib.sha256(), 0
    handle, name = tempfile.mkstemp(prefix="anitrakt-", suffix=".download", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as target:
            for chunk in body_chunks(label, response):
                digest.update(chunk)
                size += len(chunk)
                if size > options.max_bytes:  # a proxy from the environment bypasses the meter
                    raise _too_large(label, size, options.max_bytes)
                target.write(chunk)
        etag = response.headers.get("ETag")
        modified = response.headers.get("Last-Modified")
        yield Downloaded(path, digest.hexdigest(), size, etag, modified)
    finally:
        path.unlink(missing_ok=True)


def _hash_file(
    path: Path, label: str, options: DownloadOptions, progress: Progress | None
) -> Downloaded:
    digest, size = hashlib.sha256(), 0
    for chunk in _read_local(path, label, options, progress):
        digest.update(chunk)
        size += len(chunk)
    return Downloaded(path, digest.hexdigest(), size)


@contextmanager
def download_file(
    url: str,
    label: str,
    *,
    options: DownloadOptions | None = None,
    progress: Progress | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    folder: Path | None = None,
) -> Iterator[Downloaded]:
    """`url` on disk for the `with` block: streamed to a temporary file (removed after it).

    A `file://` URL or a path is hashed and used where it is. Capped like `fetch_source`.
    """
    options = options or DownloadOptions()
    _check_scheme(url, label)
    path = local_path(url)
    if path is not None:
        yield _hash_file(path, label, options, progress)
        return
    yield from _to_file(url, label, options, progress, (etag, last_modified), folder)
