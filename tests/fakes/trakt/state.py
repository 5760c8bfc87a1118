"""Every piece of state `FakeTrakt` keeps, declared once.

The domain mixins (`catalog`, `history`, `watched`, `oauth`, `guards`) all work on the
one fake; each inherits `TraktState`, so a reader (or a type checker) finds here what they
may touch and who sets it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fakes.faults import FakeUpstream

from .answers import _Route
from .model import Play, _DeviceCode, _Listed, _Movie, _Show, _Token


class TraktState(FakeUpstream):
    """The attributes of `FakeTrakt` (the lock, requests and faults come from `FakeUpstream`)."""

    # Knobs, set by `__init__`; plain attributes a test may change mid-test.
    client_id: str
    client_secret: str
    clock: Callable[[], float]
    api_host: str | None
    auth_host: str | None
    redirect_uri: str
    username: str
    vip: bool
    token_lifetime: int
    device_expires_in: int
    device_interval: int
    enforce_rate_limits: bool
    get_limit: int
    watched_seasons_need_progress: bool
    require_client_secret: bool
    require_user_agent: bool
    account_locked: bool
    vip_only: frozenset[str]
    lost_pages: dict[str, set[int]]
    history_limit: int
    # Beyond history (`ratings`, `lists`, `hidden`): the caps a write past answers 420,
    # and the watchlist cap /users/settings reports (None: the enforced one).
    ratings_limit: int | None
    watchlist_limit: int
    watchlist_limit_reported: int | None
    # The catalog, set by `__init__` and emptied only by `reset(catalog=True)`.
    _shows: dict[int, _Show]
    _movies: dict[int, _Movie]
    _episode_ids: set[int]
    _next_episode_id: int
    _next_season_id: int
    _routes: list[_Route]
    # What tests and requests built up since the last `reset`.
    plays: list[Play]
    bare_show_posts: int
    bare_season_posts: int
    refresh_calls: int
    refresh_successes: int
    device_polls: int
    pkce_failures: int
    over_limit_posts: int
    rate_limited: int
    _tokens: dict[str, _Token]
    _by_refresh: dict[str, _Token]
    _codes: dict[str, tuple[float, str | None]]  # code → (issued at, PKCE challenge)
    _devices: dict[str, _DeviceCode]
    _last_post: dict[str, float]
    _gets: dict[str, list[float]]
    _activity: dict[str, Any]
    # (kind, Trakt id, season) → (rating, rated_at); kind is "movie", "show" or "season"
    # (then the id is the show's).
    _ratings: dict[tuple[str, int, int | None], tuple[int, str]]
    _watchlist: list[_Listed]
    _next_list_item_id: int
    _dropped: dict[int, str]  # show Trakt id → hidden_at
