"""A stateful fake of Trakt API v2 (API host and OAuth host), for client and sync tests.

Shapes follow the recorded and documented bodies in `../shared/data/upstream/trakt/`
(`tests/test_fake_trakt_contract.py` holds the fake to them); behaviour follows Trakt's
docs there (`trakt/docs/`). What a client may rely on:

API host (`api_host`):
- every request needs `trakt-api-key: <client_id>` (else 403, "invalid API key") and
  `trakt-api-version: 2` (else 400, "request couldn't be parsed"); a POST needs a JSON
  content type (else 412, "use application/json content type") — the docs' status table.
- `/sync/*` and `/users/settings` need `Authorization: Bearer <valid access token>`;
  search and shows work without one, but an invalid or expired token sent anyway is a 401
  there too (Trakt checks any token it is given).
- POST /sync/history records EVERY play it is sent (Trakt does not dedupe), puts unknown
  items in `not_found`, and — like Trakt — marks every aired episode of a show (or of a
  season) posted without an episode list; `bare_show_posts` counts those so tests can
  assert the client never does it.
- GET /sync/watched/{shows,movies} follow Trakt's 2026 change (trakt/trakt-api
  discussion #775, enforced after 2026-06-30; issues #835, #844): per-episode `seasons`
  only with `extended=progress`, and always paginated — 100 a page by default, `limit`
  clamped to 250, and to 100 with `extended=progress`. `watched_seasons_need_progress=
  False` restores the documented default (seasons without asking).
- search is paginated (10 a page by default), X-Pagination-* headers as documented.

OAuth host (`auth_host`): token exchange and refresh (refresh tokens are single-use),
device codes with the documented polling statuses (200/400/404/409/410/418/429), revoke,
and a minimal authorize endpoint. OAuth errors are JSON `{error, error_description}`.

Deliberate differences from real Trakt (none of them is something a client should read):
- no `tvrage` ids, images, `plex` ids or the newest 2025–2026 extended fields: the fake
  emits a subset of the fixtures' keys, never keys of its own;
- media objects are matched by ids only when `ids` is sent (Trakt may fall back to title
  and year); without `ids` it matches title (+ year);
- a bare show marks episodes of the regular seasons (≥ 1), not specials;
- `watched_at: "unknown"` plays are stored with that literal and never count as
  `last_watched_at`; an unparseable `watched_at` is a 422 and nothing is applied;
- error bodies of the API host are empty (Trakt documents none); the fake adds an
  `x-fake-reason` header to help whoever reads a failing test;
- rate limits are enforced only with `enforce_rate_limits=True`, each budget in its own
  window (trakt/trakt-api `guides/rate-limiting.md`, 2026-10-07): writes 1/s per user,
  GETs with a token `get_limit` (500) per 5 minutes per user, GETs without one
  `get_limit` per 5 minutes per client id (the fake has one IP); past one, a 429 with
  `Retry-After` (whole seconds until the window frees) and `X-Ratelimit` naming it.

Python interface for tests: see `FakeTrakt` (catalog, tokens, device flow, history
inspection, recorded requests, `fail_next` scripted faults, `reset`).

The package, one module a domain: `app` (`FakeTrakt`, routing), `catalog` (shows, seasons,
search), `history` (POST /sync/history), `watched` (watched state, last activities, user
settings), `oauth` (code, device, refresh, revoke), `guards` (checks, rate limits, fault
answers); `state`, `answers` and `model` hold what they share. Request recording and
`fail_next` come from `fakes.faults`, shared with the fake TMDB; those names stay
importable from here.
"""

from fakes.faults import (
    ALL_METHODS,
    Fault,
    FaultQueue,
    RecordedRequest,
    cloudflare_page,
    parse_body_json,
    record,
)

from .answers import Handler
from .app import FakeTrakt
from .model import (
    EPOCH_ISO,
    FakeEpisode,
    Play,
    getattr_id,
    iso_utc,
    normalise_watched_at,
    slugify,
)
from .oauth import (
    AUTHORIZATION_CODE_LIFETIME,
    DEFAULT_TOKEN_LIFETIME,
    INVALID_CLIENT,
    INVALID_GRANT,
    OOB_REDIRECT_URI,
    VERIFICATION_URL,
)

__all__ = [
    "ALL_METHODS",
    "AUTHORIZATION_CODE_LIFETIME",
    "DEFAULT_TOKEN_LIFETIME",
    "EPOCH_ISO",
    "INVALID_CLIENT",
    "INVALID_GRANT",
    "OOB_REDIRECT_URI",
    "VERIFICATION_URL",
    "FakeEpisode",
    "FakeTrakt",
    "Fault",
    "FaultQueue",
    "Handler",
    "Play",
    "RecordedRequest",
    "cloudflare_page",
    "getattr_id",
    "iso_utc",
    "normalise_watched_at",
    "parse_body_json",
    "record",
    "slugify",
]
