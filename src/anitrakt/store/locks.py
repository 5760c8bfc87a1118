"""Database-held leases (`system_config` keys under `lock:`), for one-at-a-time work.

A lease is a row whose `value` names its holder (owner id, host, pid) and whose
`updated_at` is its last heartbeat. Taking it is a single conditional upsert, so two
processes (or two machines on one PostgreSQL) cannot both win; a holder that died stops
heartbeating and its lease goes stale after `ttl`, or at once when it was a process on
this host that no longer exists. Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.domain import keys
from anitrakt.store._upsert import insert_for
from anitrakt.store.models import SystemConfig

LOCK_PREFIX = keys.LOCK_PREFIX


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds (or wants) a lease."""

    owner: str
    host: str
    pid: int

    @classmethod
    def this_process(cls) -> Holder:
        return cls(uuid.uuid4().hex, socket.gethostname(), os.getpid())

    def encode(self) -> str:
        return json.dumps({"owner": self.owner, "host": self.host, "pid": self.pid}, sort_keys=True)

    @classmethod
    def decode(cls, text: str | None) -> Holder | None:
        try:
            data = json.loads(text or "")
            return cls(str(data["owner"]), str(data["host"]), int(data["pid"]))
        except (ValueError, TypeError, KeyError):
            return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def try_acquire(
    session: Session, name: str, holder: Holder, *, ttl: timedelta, now: datetime
) -> bool:
    """Take the lease `lock:<name>` unless a live holder has it; True when taken."""
    key = LOCK_PREFIX + name
    current = session.scalar(sa.select(SystemConfig.value).where(SystemConfig.key == key))
    other = Holder.decode(current)
    if (
        other is not None
        and other.host == holder.host
        and other.pid != holder.pid
        and not pid_alive(other.pid)
    ):
        # Its process is gone on this very host: no need to wait for the ttl.
        session.execute(
            sa.delete(SystemConfig).where(SystemConfig.key == key, SystemConfig.value == current)
        )
    value = holder.encode()
    statement = (
        insert_for(session, SystemConfig)
        .values(key=key, value=value, updated_at=now)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"value": value, "updated_at": now},
            where=SystemConfig.updated_at < now - ttl,
        )
        .returning(SystemConfig.key)
    )
    return session.execute(statement).first() is not None


def renew(session: Session, name: str, holder: Holder, *, now: datetime) -> bool:
    """Heartbeat; False when the lease is no longer ours (it went stale and was taken)."""
    result = session.execute(
        sa.update(SystemConfig)
        .where(SystemConfig.key == LOCK_PREFIX + name, SystemConfig.value == holder.encode())
        .values(updated_at=now)
        .returning(SystemConfig.key)
    )
    return result.first() is not None


def release(session: Session, name: str, holder: Holder) -> None:
    """Give the lease up (only if it is still ours)."""
    session.execute(
        sa.delete(SystemConfig).where(
            SystemConfig.key == LOCK_PREFIX + name, SystemConfig.value == holder.encode()
        )
    )


def live_holder(session: Session, name: str, *, ttl: timedelta, now: datetime) -> Holder | None:
    """Who holds `lock:<name>` now, or None when nobody does (absent, stale, or a dead
    process on this host)."""
    row = session.execute(
        sa.select(SystemConfig.value, SystemConfig.updated_at).where(
            SystemConfig.key == LOCK_PREFIX + name
        )
    ).first()
    if row is None or row.updated_at is None or row.updated_at < now - ttl:
        return None
    holder = Holder.decode(row.value)
    if holder is None:
        return None
    if holder.host == socket.gethostname() and holder.pid != os.getpid():
        return holder if pid_alive(holder.pid) else None
    return holder
