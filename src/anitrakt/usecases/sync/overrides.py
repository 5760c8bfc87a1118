"""Episode overrides as a person edits them: validate, save, list, remove.

An override sends one show-absolute episode (`abs`, see docs/placement.md) of a Trakt show to an
exact season/episode; the sync uses it before any breakpoint arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anitrakt.domain.ids import MAX_EPISODE, MAX_SEASON, parse_positive_id, whole_number
from anitrakt.errors import FieldCheck, NotFoundError
from anitrakt.store.overrides import delete_override, list_overrides, upsert_override
from anitrakt.usecases.container import Runtime


@dataclass(frozen=True, slots=True)
class Override:
    trakt_id: int
    abs: int
    season: int
    episode: int


def _bounded(value: Any, field: str, low: int, high: int) -> int:
    return whole_number(
        value, field, minimum=low, maximum=high, what=f"a whole number from {low} to {high}"
    )


def parse_override(trakt_id: Any, abs: Any, season: Any, episode: Any) -> Override:
    """The override these fields describe, or an InputError naming every bad field."""
    check = FieldCheck()
    parsed = (
        check.check(parse_positive_id, trakt_id, "traktId"),
        check.check(_bounded, abs, "abs", 1, MAX_EPISODE),
        check.check(_bounded, season, "season", 0, MAX_SEASON),
        check.check(_bounded, episode, "episode", 1, MAX_EPISODE),
    )
    check.done()
    show, number, to_season, to_episode = parsed
    assert show is not None
    assert number is not None
    assert to_season is not None
    assert to_episode is not None
    return Override(trakt_id=show, abs=number, season=to_season, episode=to_episode)


def save_override(runtime: Runtime, override: Override) -> Override:
    """Store the override (replacing the one for the same episode); logged."""
    with runtime.sessions.begin() as session:
        upsert_override(session, override.trakt_id, override.abs, override.season, override.episode)
        runtime.events.info(
            f"episode override: Trakt show {override.trakt_id} absolute episode "
            f"{override.abs} → S{override.season}E{override.episode}",
            session=session,
        )
    return override


def remove_override(runtime: Runtime, trakt_id: Any, abs: Any) -> None:
    """Delete one override; NotFoundError when there is none."""
    show = parse_positive_id(trakt_id, "traktId")
    number = _bounded(abs, "abs", 1, MAX_EPISODE)
    with runtime.sessions.begin() as session:
        if not delete_override(session, show, number):
            raise NotFoundError(f"no override for Trakt show {show} episode {number}", field="abs")
        runtime.events.info(
            f"episode override removed: Trakt show {show} absolute episode {number}",
            session=session,
        )


def overrides(runtime: Runtime, trakt_id: Any = None) -> list[Override]:
    """Overrides ordered by show and episode, optionally of one show."""
    show = None if trakt_id in (None, "") else parse_positive_id(trakt_id, "traktId")
    with runtime.sessions() as session:
        rows = list_overrides(session, show)
        return [Override(r.trakt_id, r.abs, r.season, r.episode) for r in rows]
