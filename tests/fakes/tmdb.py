"""A fake of the two TMDB v3 endpoints anitrakt uses: TV and movie external ids.

Bodies follow `../shared/data/upstream/tmdb/` (`tests/test_fake_tmdb_contract.py` holds
the fake to them): a TV answer has the recorded field set; a wrong or missing key is a
401 with the recorded invalid-key body (`status_code` 7); an unknown id — or an unknown
path — is a 404 with the recorded not-found body (`status_code` 34).

Authentication is TMDB's two forms: the v3 key as the `api_key` query parameter, or the
v4 read access token as `Authorization: Bearer …`. Paths are served with and without the
`/3` version prefix, so `TMDB_API_URL` may point at the fake's root or at `<root>/3`.

Deliberate differences: the movie body has no recorded fixture; it carries the fields
TMDB documents for movies (the TV set without the TV-only `freebase_*`, `tvdb_id`,
`tvrage_id`). The 429 body (`status_code` 25) is TMDB's documented rate-limit error, not
a recording. Ids the test did not set are null, as TMDB returns them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from .faults import FakeUpstream, Fault, RecordedRequest, cloudflare_page
from .transport import FAULT_HEADER

INVALID_API_KEY = {
    "status_message": "Invalid API key: You must be granted a valid key.",
    "success": False,
    "status_code": 7,
}
RESOURCE_NOT_FOUND = {
    "status_message": "The resource you requested could not be found.",
    "status_code": 34,
}
RATE_LIMITED = {
    "status_message": "Your request count (#) is over the allowed limit of (40).",
    "success": False,
    "status_code": 25,
}
SERVER_ERROR = {
    "status_message": "Internal error: Something went wrong, contact TMDb.",
    "success": False,
    "status_code": 11,
}
_PATH = re.compile(r"(?:/3)?/(?P<kind>tv|movie)/(?P<id>[^/]+)/external_ids")


@dataclass(frozen=True)
class _Item:
    tmdb_id: int
    imdb_id: str | None
    tvdb_id: int | None


class FakeTMDB(FakeUpstream):
    """Fake TMDB: `fake.app` is the ASGI app; the attributes below are for tests.

    Traffic (`requests`, `requests_to`, `fail_next`, `clear_faults`) and `reset` (requests
    and faults; the catalog too with `catalog=True`) come from `FakeUpstream`, as the
    fake Trakt's do.
    """

    def __init__(
        self,
        *,
        api_key: str = "fake-tmdb-key",
        read_access_token: str = "fake-tmdb-read-token",  # noqa: S107 - a fake's own token
        in_process: bool = True,
        timeout_sleep: float = 2.0,
    ) -> None:
        super().__init__(in_process=in_process, timeout_sleep=timeout_sleep)
        self.api_key = api_key
        self.read_access_token = read_access_token
        self._tv: dict[int, _Item] = {}
        self._movies: dict[int, _Item] = {}

    def _forget_catalog(self) -> None:
        self._tv.clear()
        self._movies.clear()

    def add_tv(self, tmdb_id: int, imdb_id: str | None = None, tvdb_id: int | None = None) -> None:
        with self._lock:
            self._tv[tmdb_id] = _Item(tmdb_id, imdb_id, tvdb_id)

    def add_movie(self, tmdb_id: int, imdb_id: str | None = None) -> None:
        with self._lock:
            self._movies[tmdb_id] = _Item(tmdb_id, imdb_id, None)

    def _answer(self, req: RecordedRequest) -> Response:
        if not self._authorized(req):
            return JSONResponse(INVALID_API_KEY, status_code=401)
        found = _PATH.fullmatch(req.path)
        if found is None or req.method != "GET" or not found["id"].isdigit():
            return JSONResponse(RESOURCE_NOT_FOUND, status_code=404)
        catalog = self._tv if found["kind"] == "tv" else self._movies
        item = catalog.get(int(found["id"]))
        if item is None:
            return JSONResponse(RESOURCE_NOT_FOUND, status_code=404)
        return JSONResponse(_tv_body(item) if found["kind"] == "tv" else _movie_body(item))

    def _authorized(self, req: RecordedRequest) -> bool:
        if "api_key" in req.query:
            return req.query["api_key"] == self.api_key
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and value.strip() == self.read_access_token

    def _fault_response(self, fault: Fault, req: RecordedRequest) -> Response:
        if fault.timeout:
            headers = {FAULT_HEADER: "ReadTimeout"} if self.in_process else {}
            return Response(b"", status_code=504, headers=headers)
        status = fault.status or 500
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        if fault.html:
            return Response(
                cloudflare_page(status, req.host or "api.themoviedb.org"),
                status_code=status,
                headers=headers,
                media_type="text/html",
            )
        body = RATE_LIMITED if status == 429 else SERVER_ERROR
        return JSONResponse(body, status_code=status, headers=headers)


def _tv_body(item: _Item) -> dict[str, Any]:
    """GET /tv/{id}/external_ids, the recorded field set (tmdb/tv-external-ids.json)."""
    return {
        "id": item.tmdb_id,
        "imdb_id": item.imdb_id,
        "freebase_mid": None,
        "freebase_id": None,
        "tvdb_id": item.tvdb_id,
        "tvrage_id": None,
        "wikidata_id": None,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }


def _movie_body(item: _Item) -> dict[str, Any]:
    """GET /movie/{id}/external_ids: TMDB's movie field set (no recording exists)."""
    return {
        "id": item.tmdb_id,
        "imdb_id": item.imdb_id,
        "wikidata_id": None,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }
