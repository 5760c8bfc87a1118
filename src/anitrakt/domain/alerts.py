"""What to tell, and when: the rules behind notifications, without any I/O.

A run's outcome moves a small state: the problem currently told about (if any) and the
unmapped entries already told about. An alert goes out only when that state changes, so
a failure that repeats at every run is told once, and once more when a run succeeds
again; an unmapped entry is told once, and again only if it was resolved and came back.
Which alerts reach anyone is NOTIFY_ON's choice (`failure`, `auth`, `review`,
`summary`; see the README, "Notifications").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from anitrakt.errors import AnitraktError, AuthExpired, GraphQLError, UpstreamRejected

TITLE_PREFIX = "anitrakt: "
# Entries named in one review alert; the rest are counted.
MAX_LISTED_ENTRIES = 10
REVIEW_HINT = "Map them on the /mappings page or with 'anitrakt map'."
_NUMBERS = re.compile(r"\d+")


class Event(StrEnum):
    """The NOTIFY_ON names."""

    FAILURE = "failure"
    AUTH = "auth"
    REVIEW = "review"
    SUMMARY = "summary"


class Level(StrEnum):
    """How an alert should look (Apprise's notification types)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"


@dataclass(frozen=True)
class Alert:
    event: Event
    level: Level
    title: str
    body: str


@dataclass(frozen=True)
class Problem:
    """Why runs fail; `key` stays the same while the cause does (numbers ignored)."""

    event: Event
    key: str
    title: str
    text: str = ""

    def to_json(self) -> dict[str, str]:
        return {"event": self.event.value, "key": self.key, "title": self.title}

    @classmethod
    def from_json(cls, value: Any) -> Problem | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(Event(value["event"]), str(value["key"]), str(value["title"]))
        except (KeyError, ValueError):
            return None


@dataclass(frozen=True)
class AlertState:
    problem: Problem | None = None
    told_unmapped: frozenset[int] = frozenset()


@dataclass(frozen=True)
class RunFacts:
    """One run's outcome as the rules need it.

    `problem` None means the run succeeded. `unmapped` is every entry currently unmapped
    (`sync:unmapped`: {id: {title, reason}}), or None when it could not be read.
    """

    label: str
    problem: Problem | None = None
    interrupted: bool = False
    summary: str | None = None
    unmapped: Mapping[int, Mapping[str, Any]] | None = None


def _same_cause(message: str) -> str:
    return _NUMBERS.sub("#", message)


def problem_of(error: AnitraktError, label: str) -> Problem:
    """Sort a failure: Trakt or AniList refusing us (`auth`), or anything else (`failure`)."""
    message = error.message
    if isinstance(error, AuthExpired) and message.startswith("Trakt"):
        return Problem(Event.AUTH, "trakt-auth", "Trakt needs re-authorization", message)
    if message.startswith("AniList") and isinstance(
        error, AuthExpired | GraphQLError | UpstreamRejected
    ):
        key = f"anilist-refused:{_same_cause(message)}"
        return Problem(Event.AUTH, key, "AniList refused the sync", message)
    key = f"failure:{type(error).__name__}:{_same_cause(message)}"
    return Problem(Event.FAILURE, key, f"{label} failed", message)


def wanted(event: Event, enabled: frozenset[str]) -> bool:
    """Whether NOTIFY_ON asks for `event`; an auth problem is a failure too."""
    return event in enabled or (event is Event.AUTH and Event.FAILURE in enabled)


def after_run(
    state: AlertState, facts: RunFacts, enabled: frozenset[str]
) -> tuple[list[Alert], AlertState]:
    """The alerts this outcome calls for, and the state to remember for the next run."""
    alerts: list[Alert] = []
    problem = state.problem
    if facts.interrupted:
        pass  # a shutdown says nothing about the accounts or the upstreams
    elif facts.problem is None:
        if problem is not None and wanted(problem.event, enabled):
            alerts.append(
                Alert(
                    problem.event,
                    Level.SUCCESS,
                    TITLE_PREFIX + "syncing again",
                    f"The {facts.label} succeeded; this is over: {problem.title}.",
                )
            )
        problem = None
        if facts.summary and Event.SUMMARY in enabled:
            alerts.append(
                Alert(Event.SUMMARY, Level.INFO, TITLE_PREFIX + facts.label, facts.summary)
            )
    else:
        if (problem is None or problem.key != facts.problem.key) and wanted(
            facts.problem.event, enabled
        ):
            level = Level.WARNING if facts.problem.event is Event.AUTH else Level.FAILURE
            alerts.append(
                Alert(
                    facts.problem.event,
                    level,
                    TITLE_PREFIX + facts.problem.title,
                    facts.problem.text or facts.problem.title,
                )
            )
        problem = facts.problem
    told = state.told_unmapped
    if facts.unmapped is not None:
        new = {k: v for k, v in facts.unmapped.items() if k not in told}
        if new and Event.REVIEW in enabled:
            alerts.append(_review(new))
        told = frozenset(facts.unmapped)  # resolved entries are told again if they return
    return alerts, replace(state, problem=problem, told_unmapped=told)


def _review(new: Mapping[int, Mapping[str, Any]]) -> Alert:
    count = len(new)
    lines = [
        f"- {entry.get('title') or 'AniList #' + str(anilist_id)} (AniList {anilist_id}): "
        f"{entry.get('reason') or 'no Trakt match'}"
        for anilist_id, entry in sorted(new.items())[:MAX_LISTED_ENTRIES]
    ]
    if count > MAX_LISTED_ENTRIES:
        lines.append(f"… and {count - MAX_LISTED_ENTRIES} more ('anitrakt unmapped' lists all).")
    noun = "entry needs" if count == 1 else "entries need"
    body = "\n".join([f"{count} new AniList {noun} a Trakt mapping:", *lines, REVIEW_HINT])
    return Alert(Event.REVIEW, Level.WARNING, TITLE_PREFIX + f"{count} unmapped", body)
