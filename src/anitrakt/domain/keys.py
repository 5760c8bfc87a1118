"""`system_config` keys, as the seed names them.

Keys added by anitrakt live under documented prefixes next to the seed's own.
"""

from __future__ import annotations

TRAKT_TOKEN = "trakt:token"
TRAKT_REFRESH_TOKEN = "trakt:refresh_token"
CACHE_FRIBBS = "cache:fribbs"
CACHE_OTAKU = "cache:otaku"
STATUS_FRIBBS_LAST_SYNC = "status:fribbs:last-sync"
STATUS_OTAKU_LAST_SYNC = "status:otaku:last-sync"
STATUS_OTAKU_LAST_ACTIVITY = "status:otaku:last-activity"
# anibridge-mappings (episode ranges and ids, docs/placement.md): the download's metadata
# and the last refresh, like Fribb's and Otaku's.
CACHE_ANIBRIDGE = "cache:anibridge"
STATUS_ANIBRIDGE_LAST_SYNC = "status:anibridge:last-sync"
STATUS_SYNC_LAST_RUN = "status:sync:last-run"
STATUS_SYNC_LAST_RUN_AUTO = "status:sync:last-run-auto"
STATUS_SYNC_WATCHING_LAST_RUN = "status:sync:watching:last-run"
STATUS_SYNC_COMPLETED_LAST_RUN = "status:sync:completed:last-run"
LAST_SYNC_TIMESTAMP = "lastSyncTimestamp"
# anitrakt's own: the last sync that stopped on an error, until one succeeds.
SYNC_LAST_FAILURE = "sync:last-failure"
# Entries that failed resolution in recent runs: {anilistId: {title, reason, lastSeen}}.
SYNC_UNMAPPED = "sync:unmapped"
# Entries with episodes held for review (docs/placement.md), by AniList id.
SYNC_REVIEW = "sync:review"
# Which AniList account the cached id belongs to (a hash of the token or username).
ANILIST_USER = "anilist:user"


def breakpoint_map_key(trakt_id: int) -> str:
    """Cache key of a show's breakpoint map."""
    return f"map:{trakt_id}"


def show_episodes_key(trakt_id: int) -> str:
    """Cache key of a show's flattened Trakt episode list."""
    return f"trakt:show:{trakt_id}:episodes"


# Trakt connection (store/tokens.py): when the access token expires (unix seconds), the
# code-flow link handed out last with its PKCE verifier, and the device code being polled.
TRAKT_TOKEN_EXPIRES_AT = "trakt:token:expires-at"
TRAKT_PENDING_AUTHORIZATION = "trakt:oauth:pending"
TRAKT_PENDING_DEVICE = "trakt:oauth:device"
# Leases (store/locks.py) live under this prefix: `lock:sync`.
LOCK_PREFIX = "lock:"
# The dashboard's charts (usecases/stats.py): plays posted per day, {YYYY-MM-DD: n}, and
# the share of entries by state as the last library read found it, {counts, at}.
STATS_PLAYS_DAILY = "stats:plays:daily"
LIBRARY_STATES = "library:states"
# What the holder of `lock:sync` runs: {mode, startedAt, jobId, owner} (usecases/sync/lock.py).
SYNC_RUNNING = "sync:running"
# Notifications (usecases/notifier.py): the failure last told about, and the ids
# already told as unmapped.
NOTIFY_PROBLEM = "notify:problem"
NOTIFY_UNMAPPED = "notify:unmapped"
# Beyond history (docs/beyond-history.md): what anitrakt put on the Trakt watchlist and
# hid as dropped (`domain.lists.Owned`, so it only ever takes off its own), the rewatch
# rounds it follows (`domain.rewatches.RewatchRound`), when a run of the features alone
# last succeeded, and each feature's last result (`status:extras:<feature>`).
EXTRAS_WATCHLIST = "extras:watchlist"
EXTRAS_DROPPED = "extras:dropped"
EXTRAS_REWATCHES = "extras:rewatches"
STATUS_SYNC_EXTRAS_LAST_RUN = "status:sync:extras:last-run"


def extras_status_key(feature: str) -> str:
    """Where a feature beyond history keeps its last result."""
    return f"status:extras:{feature}"
