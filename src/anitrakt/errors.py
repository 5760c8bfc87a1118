"""One error tree for the whole application.

    AnitraktError                  anything we raise on purpose
    ├── ConfigError                a setting is missing or malformed (names the variable)
    ├── InputError                 the caller sent something we cannot use (names the field)
    │   └── NotFoundError          the thing asked for does not exist
    ├── ConflictError              the request is fine but clashes with current state
    ├── StoreUnavailable           the database failed mid-way (locked too long, connection lost)
    ├── Interrupted                the process is stopping; a run ended at a batch boundary
    └── UpstreamError              AniList, Trakt, TMDB or a mapping source misbehaved
        ├── RateLimited            429 that retries could not outlast (carries retry_after)
        ├── AuthExpired            credentials rejected; the person must re-authorize
        ├── AccountLimit           Trakt 420: the account hit a list/history limit
        ├── UpstreamNotFound       404 for something we asked for by id
        ├── UpstreamRejected       4xx for a request we built (a bug or a changed API)
        ├── GraphQLError           AniList answered with an `errors` array
        ├── MappingSourceError     a mapping source (Fribb, Otaku) is unusable: HTML, truncated,
        │                          empty, not SQLite, too large (names the source and reason)
        └── UpstreamUnavailable    5xx, timeouts, connection failures, API disabled
            └── UnclearWrite       a write may or may not have been applied

The web layer maps this tree to HTTP statuses in one place, the CLI to one line on
stderr and a non-zero exit.
"""

from __future__ import annotations

import copy
from typing import Any, Self


class AnitraktError(Exception):
    """Base of every error anitrakt raises on purpose."""

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def restated(self, message: str, *, details: Any = None) -> Self:
        """The same kind of error told another way (e.g. a whole run's report as details)."""
        clone = copy.copy(self)
        clone.args = (message,)
        clone.message = message
        clone.details = details
        return clone


class ConfigError(AnitraktError):
    """A setting is missing or malformed; the message names the variable."""


class InputError(AnitraktError):
    """The caller's input is invalid; `field` names the offending field."""

    def __init__(self, message: str, *, field: str | None = None, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.field = field


class NotFoundError(InputError):
    """The requested item does not exist."""


class ConflictError(AnitraktError):
    """The request clashes with current state (e.g. a sync is already running)."""


class StoreUnavailable(AnitraktError):
    """The database refused or lost us mid-operation; what was committed stays, retry later."""


class Interrupted(AnitraktError):
    """The process was asked to stop (SIGTERM); a sync ended after its last confirmed batch."""


class UpstreamError(AnitraktError):
    """An upstream service failed or answered something we cannot use."""


class RateLimited(UpstreamError):
    """The upstream kept answering 429; `retry_after` says how long it asked us to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, details={"retryAfter": retry_after})
        self.retry_after = retry_after


class AuthExpired(UpstreamError):
    """Credentials were rejected (e.g. a refused refresh); the person must re-authorize."""


class AccountLimit(UpstreamError):
    """Trakt 420: the account is over a limit; retrying cannot help."""

    def __init__(self, message: str, *, limit: str | None = None, vip: bool | None = None) -> None:
        super().__init__(message, details={"accountLimit": limit, "vip": vip})
        self.limit = limit
        self.vip = vip


class UpstreamNotFound(UpstreamError):
    """The upstream has no such item (HTTP 404)."""


class UpstreamRejected(UpstreamError):
    """The upstream refused our request with a 4xx other than 401/404/420/429."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, details={"status": status})
        self.status = status


class GraphQLError(UpstreamError):
    """AniList answered with an `errors` array; the message is AniList's own."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, details={"status": status})
        self.status = status


class MappingSourceError(UpstreamError):
    """A mapping source download is unusable; the message names the source and the reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}", details={"source": source, "reason": reason})
        self.source = source
        self.reason = reason


class UpstreamUnavailable(UpstreamError):
    """The upstream is down, overloaded, unreachable or disabled."""


class UnclearWrite(UpstreamUnavailable):
    """A write failed in a way that may have applied it; re-read state before resending."""
