"""TMDB external ids: step 4 of id resolution (docs/resolution.md), optional.

Without `TMDB_API_KEY` the client is still built but `enabled` is False and every lookup
returns None without a request, so the resolver can call it unconditionally.

The key is a v3 API key (sent as the `api_key` query parameter, the only place TMDB
accepts one) or a v4 read access token (a JWT, sent as `Authorization: Bearer`). A key
in the query string is a leak risk: our own errors name only the path, and a filter on
the `httpx` logger masks `api_key=…` in its request log lines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from anitrakt.clients.http import HttpClient, HttpObserver, Upstream
from anitrakt.clients.timing import SlidingWindow
from anitrakt.clock import Clock, SystemClock
from anitrakt.config import Settings
from anitrakt.errors import ConfigError, UpstreamUnavailable

logger = logging.getLogger("anitrakt.tmdb")

# TMDB's documented ceiling is "around 50 requests per second" per IP (developer docs,
# "Rate Limiting"); staying at 40 leaves room for anything else on the same address.
TMDB_REQUESTS_PER_SECOND = 40
TMDBKind = Literal["tv", "movie"]

_API_KEY_IN_TEXT = re.compile(r"(api_key=)[^&\s\"'>]+")
# A v4 read access token is a JWT: three base64url parts joined by dots.
_JWT = re.compile(r"^eyJ[\w-]*\.[\w-]+\.[\w-]+$")


@dataclass(frozen=True)
class ExternalIds:
    """The ids TMDB knows for one show or movie; None where TMDB has none."""

    tvdb_id: int | None
    imdb_id: str | None
    tmdb_id: int


class _MaskApiKey(logging.Filter):
    """Masks `api_key=…` in log records (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "api_key=" in record.msg:
            record.msg = _API_KEY_IN_TEXT.sub(r"\1***", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _mask(value) for key, value in record.args.items()}
        return True


def _mask(value: Any) -> Any:
    text = str(value) if isinstance(value, (str, httpx.URL)) else None
    if text is None or "api_key=" not in text:
        return value
    return _API_KEY_IN_TEXT.sub(r"\1***", text)


_MASK_FILTER = _MaskApiKey()


def _install_log_mask() -> None:
    """Attach the mask to the `httpx` logger once (idempotent: filters are a list)."""
    httpx_logger = logging.getLogger("httpx")
    if _MASK_FILTER not in httpx_logger.filters:
        httpx_logger.addFilter(_MASK_FILTER)


class TMDBClient:
    """Looks up external ids on TMDB; disabled (every call → None) without a key."""

    def __init__(self, upstream: Upstream, api_key: SecretStr | None) -> None:
        key = api_key.get_secret_value().strip() if api_key is not None else ""
        self.enabled = bool(key)
        self._http: HttpClient | None = None
        self._params: dict[str, str] = {}
        self._pacer = SlidingWindow(TMDB_REQUESTS_PER_SECOND, 1.0, upstream.clock)
        if not self.enabled:
            return
        headers: dict[str, str] = {}
        if _JWT.match(key):
            headers["Authorization"] = f"Bearer {key}"
        else:
            self._params["api_key"] = key
            _install_log_mask()
        self._http = HttpClient(upstream, headers=headers)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        observer: HttpObserver | None = None,
    ) -> TMDBClient:
        upstream = Upstream(
            name="TMDB",
            base_url=settings.tmdb_api_url,
            clock=clock or SystemClock(),
            transport=transport,
            observer=observer,
        )
        return cls(upstream, settings.tmdb_api_key)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> TMDBClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def external_ids(self, tmdb_id: int, kind: TMDBKind) -> ExternalIds | None:
        """The TVDB and IMDb ids of a TMDB show or movie; None when disabled or unknown."""
        if kind not in ("tv", "movie"):
            raise ValueError(f"kind must be 'tv' or 'movie', not {kind!r}")
        if self._http is None:
            return None
        response = self._http.request(
            "GET",
            f"/{kind}/{int(tmdb_id)}/external_ids",
            params=self._params,
            pacers=(self._pacer,),
            ok_statuses=(401, 404),
        )
        if response.status_code == 401:
            raise ConfigError(
                "TMDB rejected TMDB_API_KEY (HTTP 401); check the key, or unset "
                "TMDB_API_KEY to skip TMDB lookups"
            )
        if response.status_code == 404:
            logger.debug("TMDB has no %s %s", kind, tmdb_id)
            return None
        return _parse_external_ids(self._http.json(response), tmdb_id)


def _parse_external_ids(body: Any, tmdb_id: int) -> ExternalIds:
    if not isinstance(body, dict):
        raise UpstreamUnavailable("TMDB answered external ids that are not a JSON object")
    tvdb = body.get("tvdb_id")
    imdb = body.get("imdb_id")
    found_id = body.get("id")
    return ExternalIds(
        tvdb_id=tvdb if isinstance(tvdb, int) and not isinstance(tvdb, bool) and tvdb > 0 else None,
        imdb_id=imdb.strip() if isinstance(imdb, str) and imdb.strip() else None,
        tmdb_id=found_id
        if isinstance(found_id, int) and not isinstance(found_id, bool)
        else tmdb_id,
    )
