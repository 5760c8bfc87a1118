"""The state of each feature beyond history: on or off, and what its last run did.

For the dashboard and `GET /api/extras` (docs/beyond-history.md); read from the store,
no upstream asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from anitrakt.domain.extras import FEATURE_ORDER, Extra
from anitrakt.store.extras import load_feature_statuses
from anitrakt.usecases.container import Runtime

# What a feature's stored last result shows (docs/state-model.md, `status:extras:*`).
SHOWN = ("at", "summary", "error", "written", "left", "unchanged")


@dataclass(frozen=True, slots=True)
class FeatureState:
    feature: Extra
    enabled: bool
    # `{at, summary, error, written, left, unchanged}` of its last writing run, or None.
    last: dict[str, Any] | None


def read_feature_states(session: Session, enabled: frozenset[Extra]) -> list[FeatureState]:
    """Every feature, in the order runs take them, in one query."""
    stored = load_feature_statuses(session)
    states = []
    for feature in FEATURE_ORDER:
        found = stored.get(feature)
        last = {k: found.get(k) for k in SHOWN} if found is not None else None
        states.append(FeatureState(feature, feature in enabled, last))
    return states


def feature_states(runtime: Runtime) -> list[FeatureState]:
    """Each feature beyond history: its setting and its last result."""
    with runtime.sessions() as session:
        return read_feature_states(session, runtime.settings.extras)
