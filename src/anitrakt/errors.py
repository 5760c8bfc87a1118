"""One error tree for the whole application.

    AnitraktError                  anything we raise on purpose
    ├── ConfigError                a setting is missing or malformed (names the variable)
    ├── InputError                 the caller sent something we cannot use (names the field)
    │   ├── InvalidFields          several fields at once (a form checked whole: FieldCheck)
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
        │   └── UpstreamRefused    refused on purpose, not an outage: retrying cannot help until
        │       │                  the person acts; `code` names the case, the message what to do
        │       ├── AniListRefused    AniList's edge 403 ("API … disabled"), e.g. no Referer
        │       ├── TraktAppRejected  Trakt 403 for the app: TRAKT_CLIENT_ID unknown or deleted
        │       ├── EdgeBlocked       an HTML 403 from the CDN in front (User-Agent, network)
        │       ├── AccountLocked     Trakt 423: the account is locked
        │       └── VipRequired       Trakt 426: the feature needs Trakt VIP
        ├── GraphQLError           AniList answered with an `errors` array
        ├── MappingSourceError     a mapping source (Fribb, Otaku) is unusable: HTML, truncated,
        │                          empty, not SQLite, too large (names the source and reason)
        └── UpstreamUnavailable    5xx, timeouts, connection failures
            ├── UnclearWrite       a write may or may not have been applied
            └── IncompleteRead     a paginated read lost part of its answer; never plan from it

The web layer maps this tree to HTTP statuses in one place, the CLI to one line on
stderr and a non-zero exit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self, TypeVar

T = TypeVar("T")


class AnitraktError(Exception):
    """Base of every error anitrakt raises on purpose."""

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def restated(self, message: str, *, details: Any = None) -> Self:
        """The same kind of error told another way (e.g. a whole run's report as details).

        Built without calling `__init__`: subclasses take keyword-only arguments, which
        `copy.copy` (it re-calls the class with `args`) would not pass.
        """
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
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


class InvalidFields(InputError):
    """Several fields are wrong at once: `problems` holds (field, message), in form order."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems), field=problems[0][0])
        self.problems = problems


class FieldCheck:
    """Check every field of a form and report all that are wrong, not just the first.

    `check(parse, value)` returns what `parse` returns, or None after noting its
    InputError; `done()` raises them together (one problem stays a plain InputError).
    """

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def check(self, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return parse(*args, **kwargs)
        except InputError as exc:
            self.problems.append((exc.field or "body", exc.message))
            return None

    def add(self, field: str, message: str) -> None:
        self.problems.append((field, message))

    def done(self) -> None:
        if len(self.problems) == 1:
            field, message = self.problems[0]
            raise InputError(message, field=field)
        if self.problems:
            raise InvalidFields(self.problems)


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


class UpstreamRefused(UpstreamRejected):
    """The upstream refuses us on purpose; the message says what the person must do.

    Never retried and never shown as an outage to wait out. `code` is a stable name for
    the case (API `details.code`, dashboard banner).
    """

    code = "refused"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, status=status)
        self.details = {"status": status, "code": self.code}


class AniListRefused(UpstreamRefused):
    """AniList's edge refused the request (a 403 saying the API is "disabled")."""

    code = "anilist_refused"


class TraktAppRejected(UpstreamRefused):
    """Trakt answers 403 for the app itself: the client id is unknown, deleted or unapproved."""

    code = "trakt_app_rejected"


class EdgeBlocked(UpstreamRefused):
    """An HTML 403 from the CDN in front of the upstream (User-Agent or network blocked)."""

    code = "edge_blocked"


class AccountLocked(UpstreamRefused):
    """Trakt 423: the account is locked until Trakt support unlocks it."""

    code = "trakt_account_locked"


class VipRequired(UpstreamRefused):
    """Trakt 426: the feature needs a Trakt VIP account."""

    code = "trakt_vip_required"


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


class IncompleteRead(UpstreamUnavailable):
    """A paginated read cannot prove it got every item (a lost page, counts that disagree)."""
