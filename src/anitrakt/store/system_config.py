"""`system_config` key/value access with the docs/state-model.md value rule.

Strings are stored as they are; everything else as JSON. Reads try JSON first and fall
back to the raw text, so a value typed by hand in SQL (`set value = '0'`) reads as 0.
A consequence worth knowing: a string that happens to be valid JSON ("12") reads back
as the decoded value (12).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anitrakt.clock import utc_now
from anitrakt.store._upsert import insert_for
from anitrakt.store.models import SystemConfig


def encode_value(value: Any) -> str:
    """Text to store for `value`: strings raw, anything else JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), default=str)


def decode_value(text: str | None) -> Any:
    """The value `text` stands for: JSON when it parses, otherwise the text itself."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def get_config(session: Session, key: str, default: Any = None) -> Any:
    """The decoded value under `key`, or `default` when the key is absent."""
    text = session.scalar(sa.select(SystemConfig.value).where(SystemConfig.key == key))
    if text is None:
        return default
    return decode_value(text)


def get_config_many(session: Session, keys: Iterable[str]) -> dict[str, Any]:
    """Decoded values for the keys that exist, in one query."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    params = {f"key{i}": key for i, key in enumerate(wanted)}
    rows = session.connection().execute(_values_of(len(wanted)), params)
    return {key: decode_value(value) for key, value in rows}


@lru_cache(maxsize=16)
def _values_of(count: int) -> sa.Select[str, str]:
    """`key IN (:key0, …)` for `count` keys, built once per count: callers ask for a few
    fixed sets (/api/status reads five), and building the query and expanding an IN list
    on every call cost more than the lookup (issue 18)."""
    config = SystemConfig.__table__.c
    wanted = [sa.bindparam(f"key{i}", type_=sa.Text) for i in range(count)]
    return sa.select(config.key, config.value).where(config.key.in_(wanted))


def set_config(session: Session, key: str, value: Any) -> None:
    """Store `value` under `key`, creating or replacing it."""
    text = encode_value(value)
    now = utc_now()
    statement = insert_for(session, SystemConfig).values(key=key, value=text, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["key"], set_={"value": text, "updated_at": now}
    )
    session.execute(statement)


def delete_config(session: Session, key: str) -> bool:
    """Remove `key`; True when it existed."""
    result = session.execute(sa.delete(SystemConfig).where(SystemConfig.key == key))
    return bool(getattr(result, "rowcount", 0))
