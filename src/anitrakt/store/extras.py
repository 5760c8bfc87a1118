"""What the features beyond history remember (docs/state-model.md, docs/beyond-history.md).

`system_config` keys, one per list and one for rewatches, each a small JSON value:
what anitrakt put on the watchlist and hid as dropped (`Owned`), the rewatch rounds it
follows, and each feature's last result for the dashboard. Repository functions: they
take a session and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from anitrakt.domain import keys
from anitrakt.domain.extras import Extra
from anitrakt.domain.lists import Owned
from anitrakt.domain.rewatches import RewatchRound, RoundKey, round_key_of, round_key_text
from anitrakt.store.system_config import get_config, get_config_many, set_config

_OWNED_KEYS = {Extra.WATCHLIST: keys.EXTRAS_WATCHLIST, Extra.DROPPED: keys.EXTRAS_DROPPED}


def load_owned(session: Session, feature: Extra) -> Owned:
    """What anitrakt put on the list of `feature` (the watchlist, or dropped shows)."""
    return Owned.from_json(get_config(session, _OWNED_KEYS[feature]))


def save_owned(session: Session, feature: Extra, owned: Owned) -> None:
    set_config(session, _OWNED_KEYS[feature], owned.to_json())


def load_rounds(session: Session) -> dict[RoundKey, RewatchRound]:
    """The rewatch rounds followed, by (AniList id, repeat); unreadable ones left out."""
    value = get_config(session, keys.EXTRAS_REWATCHES)
    rounds = {}
    for text, raw in (value if isinstance(value, dict) else {}).items():
        key = round_key_of(str(text))
        found = RewatchRound.from_json(raw)
        if key is not None and found is not None:
            rounds[key] = found
    return rounds


def save_rounds(session: Session, rounds: dict[RoundKey, RewatchRound]) -> None:
    value = {round_key_text(key): found.to_json() for key, found in sorted(rounds.items())}
    set_config(session, keys.EXTRAS_REWATCHES, value)


def save_feature_status(session: Session, feature: Extra, status: dict[str, Any]) -> None:
    """A feature's last result (`{at, written, left, unchanged, error, summary}`)."""
    set_config(session, keys.extras_status_key(feature.value), status)


def load_feature_statuses(session: Session) -> dict[Extra, dict[str, Any]]:
    """Every feature's last result, in one query; a feature never run is absent."""
    wanted = {keys.extras_status_key(f.value): f for f in Extra}
    values = get_config_many(session, wanted)
    return {wanted[k]: v for k, v in values.items() if isinstance(v, dict)}
