"""The API token guard (SPEC §2: `ANITRAKT_API_TOKEN`).

When a token is configured, every `/api/` route but the health check needs
`Authorization: Bearer <token>`. (Browser sessions for the pages come with the UI.)
"""

from __future__ import annotations

import hmac

from fastapi import Request

from anitrakt.errors import AnitraktError


class Unauthorized(AnitraktError):
    """The request lacks the configured API token."""


def require_api_token(request: Request) -> None:
    """Reject the request unless it carries the configured token (constant-time compare)."""
    expected = request.app.state.runtime.settings.anitrakt_api_token
    if expected is None:
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.get_secret_value().encode()
    ):
        raise Unauthorized("missing or invalid API token (send Authorization: Bearer <token>)")
