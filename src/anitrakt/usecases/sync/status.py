"""When each kind of sync last ran (the `status:sync:*` keys), and the last failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.store.loop_reads import cacheable
from anitrakt.store.system_config import delete_config, get_config_many, set_config
from anitrakt.usecases.container import Runtime


@dataclass(frozen=True, slots=True)
class SyncFailure:
    """A sync that stopped on an error: shown until a later sync of any mode succeeds.

    `code` names a refusal the person must act on (`UpstreamRefused.code`), else None;
    `automated` says an unattended run failed, which makes the cron gate back off.
    """

    at: datetime
    mode: str
    error: str
    code: str | None = None
    automated: bool = False

    @classmethod
    def from_json(cls, value: object) -> SyncFailure | None:
        if not isinstance(value, dict):
            return None
        at = parse_instant(value.get("at"))
        if at is None:
            return None
        code = value.get("code")
        return cls(
            at,
            str(value.get("mode", "")),
            str(value.get("error", "")),
            code if isinstance(code, str) else None,
            value.get("automated") is True,
        )


@dataclass(frozen=True, slots=True)
class SyncStatus:
    last_manual: datetime | None
    last_automated: datetime | None
    last_completed: datetime | None
    last_watching: datetime | None
    last_failure: SyncFailure | None = None


@cacheable
def read_sync_status(session: Session) -> SyncStatus:
    """The four last-run instants and the last failure, in one query."""
    values = get_config_many(
        session,
        [
            keys.STATUS_SYNC_LAST_RUN,
            keys.STATUS_SYNC_LAST_RUN_AUTO,
            keys.STATUS_SYNC_COMPLETED_LAST_RUN,
            keys.STATUS_SYNC_WATCHING_LAST_RUN,
            keys.SYNC_LAST_FAILURE,
        ],
    )
    return SyncStatus(
        last_manual=parse_instant(values.get(keys.STATUS_SYNC_LAST_RUN)),
        last_automated=parse_instant(values.get(keys.STATUS_SYNC_LAST_RUN_AUTO)),
        last_completed=parse_instant(values.get(keys.STATUS_SYNC_COMPLETED_LAST_RUN)),
        last_watching=parse_instant(values.get(keys.STATUS_SYNC_WATCHING_LAST_RUN)),
        last_failure=SyncFailure.from_json(values.get(keys.SYNC_LAST_FAILURE)),
    )


def record_failure(session: Session, failure: SyncFailure) -> None:
    value: dict[str, object] = {
        "at": failure.at.isoformat(),
        "mode": failure.mode,
        "error": failure.error,
    }
    if failure.code is not None:
        value["code"] = failure.code
    if failure.automated:
        value["automated"] = True
    set_config(session, keys.SYNC_LAST_FAILURE, value)


def clear_failure(session: Session) -> None:
    delete_config(session, keys.SYNC_LAST_FAILURE)


def sync_status(runtime: Runtime) -> SyncStatus:
    """The four last-run instants and the last failure (`/api/status`, `anitrakt status`)."""
    return runtime.read(read_sync_status)
