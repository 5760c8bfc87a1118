"""AniList's image CDN: cover thumbnails, one checked download at a time.

The URLs come from AniList's answers (`coverImage.medium`), so they are data, not
configuration: a cover is fetched only from under ANILIST_COVERS_URL (AniList's CDN by
default), never through a redirect, read up to `MAX_COVER_BYTES`, and kept only when its
bytes are an image (`anitrakt.domain.covers`). The CDN publishes no rate limit; the
pacing below keeps a first import's few hundred thumbnails polite.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from anitrakt.clients.http import HttpClient, HttpObserver, RetryPolicy, Upstream, body_chunks
from anitrakt.clients.timing import SlidingWindow
from anitrakt.clock import Clock, SystemClock
from anitrakt.config import Settings
from anitrakt.domain.covers import MAX_COVER_BYTES, Cover, image_type
from anitrakt.errors import UpstreamError

UPSTREAM_NAME = "AniList's image CDN"
REQUESTS_PER_SECOND = 10
# Covers are decoration: one retry, short timeouts, no long Retry-After waits, so a CDN
# outage costs a run seconds, not minutes (three failures in a row end the fill).
COVER_RETRY = RetryPolicy(max_attempts=2, base_delay=1.0, max_retry_after=10.0)
COVER_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class CoverClient:
    """Downloads covers from under one base URL; one instance per sync run."""

    def __init__(self, upstream: Upstream) -> None:
        self.base_url = upstream.base_url.rstrip("/")
        self.window = SlidingWindow(REQUESTS_PER_SECOND, 1.0, upstream.clock)
        # A redirect would send the request off the CDN before we could refuse it.
        self._http = HttpClient(upstream, headers={"Accept": "image/*"}, follow_redirects=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        observer: HttpObserver | None = None,
    ) -> CoverClient:
        upstream = Upstream(
            name=UPSTREAM_NAME,
            base_url=settings.anilist_covers_url,
            clock=clock or SystemClock(),
            retry=COVER_RETRY,
            timeout=COVER_TIMEOUT,
            transport=transport,
            observer=observer,
        )
        return cls(upstream)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CoverClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def allowed(self, url: str) -> bool:
        """Whether `url` lies under the configured CDN (same scheme, host and path prefix)."""
        return _under(url, self.base_url)

    def fetch(self, url: str) -> Cover:
        """The image at `url`, or UpstreamError saying why it is not kept."""
        if not self.allowed(url):
            raise UpstreamError(f"{UPSTREAM_NAME}: {url!r} is not under {self.base_url}")
        response = self._http.request("GET", url, pacers=(self.window,), stream=True)
        try:
            body = bytearray()
            for chunk in body_chunks(UPSTREAM_NAME, response):
                body += chunk
                if len(body) > MAX_COVER_BYTES:
                    raise UpstreamError(
                        f"{UPSTREAM_NAME}: a cover is larger than {MAX_COVER_BYTES} bytes"
                    )
        finally:
            response.close()
        kind = image_type(bytes(body))
        if kind is None:
            claimed = response.headers.get("Content-Type", "no type")
            raise UpstreamError(f"{UPSTREAM_NAME}: a cover is not an image ({claimed})")
        return Cover(bytes(body), kind)


def _under(url: str, base: str) -> bool:
    target, root = urlsplit(url), urlsplit(base)
    if target.scheme not in ("http", "https") or target.username or target.password:
        return False
    prefix = root.path.rstrip("/") + "/"
    return (
        (target.scheme, target.netloc.lower()) == (root.scheme, root.netloc.lower())
        and target.path.startswith(prefix)
        and ".." not in target.path.split("/")
    )
