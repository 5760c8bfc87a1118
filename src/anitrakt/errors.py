"""One error tree for the whole application.

    AnitraktError                  anything we raise on purpose
    ├── ConfigError                a setting is missing or malformed (names the variable)
    ├── InputError                 the caller sent something we cannot use (names the field)
    │   └── NotFoundError          the thing asked for does not exist
    ├── ConflictError              the request is fine but clashes with current state
    └── UpstreamError              AniList, Trakt, TMDB or a mapping source misbehaved

The web layer maps this tree to HTTP statuses in one place, the CLI to one line on
stderr and a non-zero exit.
"""

from __future__ import annotations

from typing import Any


class AnitraktError(Exception):
    """Base of every error anitrakt raises on purpose."""

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


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


class UpstreamError(AnitraktError):
    """An upstream service failed or answered something we cannot use."""
