"""The first-run checklist (`anitrakt doctor`, the dashboard): every missing piece at once.

Reads the settings and the store only — it asks no upstream, so it answers even when
nothing is configured, and names everything left to do instead of the first thing a
sync would trip over.
"""

from __future__ import annotations

from dataclasses import dataclass

from anitrakt.domain import keys
from anitrakt.domain.values import SourceName
from anitrakt.store.system_config import get_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.refresh import source_status
from anitrakt.usecases.trakt_account import stored_connection

TRAKT_APPS_URL = "https://app.trakt.tv/settings/apps/api"


@dataclass(frozen=True, slots=True)
class Check:
    """One thing a sync needs: whether it is there, and what it is or what to do."""

    name: str
    label: str
    ok: bool
    detail: str


def _anilist(runtime: Runtime) -> Check:
    settings = runtime.settings
    label = "AniList account"
    with runtime.sessions() as session:
        seen = get_config(session, keys.ANILIST_USER)
    name = seen.get("name") if isinstance(seen, dict) else None
    if settings.anilist_access_token is not None:
        who = f"{name} (signed in with ANILIST_ACCESS_TOKEN)" if name else None
        return Check(
            "anilist",
            label,
            True,
            who or "ANILIST_ACCESS_TOKEN is set; the account is named after the first sync",
        )
    if settings.anilist_username:
        return Check(
            "anilist", label, True, f"{settings.anilist_username} (public list, ANILIST_USERNAME)"
        )
    return Check(
        "anilist",
        label,
        False,
        "set ANILIST_USERNAME (a public list) or ANILIST_ACCESS_TOKEN (a private one)",
    )


def _trakt_app(runtime: Runtime) -> Check:
    settings = runtime.settings
    label = "Trakt API app"
    if not settings.trakt_client_id:
        return Check(
            "trakt-app",
            label,
            False,
            f"set TRAKT_CLIENT_ID (and, optionally, TRAKT_CLIENT_SECRET): the Client ID of "
            f"your Trakt API app ({TRAKT_APPS_URL}, redirect URI urn:ietf:wg:oauth:2.0:oob)",
        )
    secret = "with" if settings.trakt_client_secret else "without"
    return Check("trakt-app", label, True, f"TRAKT_CLIENT_ID set ({secret} TRAKT_CLIENT_SECRET)")


def _trakt_account(runtime: Runtime) -> Check:
    connection = stored_connection(runtime)
    if connection.connected:
        how = "TRAKT_ACCESS_TOKEN" if connection.source == "environment" else "stored tokens"
        return Check("trakt-account", "Trakt account", True, f"connected ({how})")
    return Check(
        "trakt-account",
        "Trakt account",
        False,
        "connect it: Trakt connection on the Sync page, or `anitrakt auth trakt`",
    )


def _sources(runtime: Runtime) -> Check:
    with runtime.sessions() as session:
        counts = {s: source_status(session, s).count for s in SourceName}
    text = ", ".join(f"{s.label}: {counts[s]:,} entries" for s in SourceName)
    empty = [s for s in SourceName if counts[s] == 0]
    if not empty:
        return Check("sources", "Mapping sources", True, text)
    names = " and ".join(f"`anitrakt refresh {s.value}`" for s in empty)
    return Check(
        "sources",
        "Mapping sources",
        False,
        f"{text}; load them: Update on the dashboard, or {names}",
    )


def setup_checks(runtime: Runtime) -> list[Check]:
    """Everything a first sync needs, in the order a person sets it up."""
    return [_anilist(runtime), _trakt_app(runtime), _trakt_account(runtime), _sources(runtime)]
