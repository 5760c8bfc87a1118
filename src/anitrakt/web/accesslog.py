"""uvicorn's access log without secrets: query values we do not know are masked.

A person who tries `/api/status?token=…` (or pastes a URL with an OAuth `code`) must not
find it in the server's output. The app's own query parameters carry ids, flags and
titles, so they stay readable; anything else keeps its name and loses its value.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

MASK = "***"
# Every query parameter the app's routes and pages read (their names as sent).
SAFE_QUERY_PARAMETERS = frozenset(
    {
        "abs",
        "anilistId",
        "check",
        "dryRun",
        "level",
        "limit",
        "next",
        "preview",
        "query",
        "traktId",
    }
)


def mask_query(target: str) -> str:
    """`target` (path plus query) with every unknown parameter's value replaced by ***."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    items = []
    for item in query.split("&"):
        name, eq, _ = item.partition("=")
        if name in SAFE_QUERY_PARAMETERS:
            items.append(item)
        elif eq:
            items.append(f"{name}={MASK}")
        elif item:
            items.append(MASK)  # a bare value (`?s3cret`) may be the secret itself
    return f"{path}?{'&'.join(items)}"


class MaskQueryStrings(logging.Filter):
    """A filter for the `uvicorn.access` logger, whose records carry
    (client, method, path with query, HTTP version, status) as arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, target, version, status = args
            record.args = (client, method, mask_query(str(target)), version, status)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging set-up with MaskQueryStrings on the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["mask_query"] = {"()": MaskQueryStrings}
    config["handlers"]["access"]["filters"] = ["mask_query"]
    return config
