"""The pure rules of `anitrakt.domain.alerts`: which outcome is told, and what is remembered."""

from __future__ import annotations

import pytest

from anitrakt.domain.alerts import (
    AlertState,
    Event,
    Problem,
    RunFacts,
    after_run,
    problem_of,
)
from anitrakt.errors import (
    AuthExpired,
    GraphQLError,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)

ALL = frozenset(e.value for e in Event)
DOWN = problem_of(UpstreamUnavailable("Trakt is unavailable (HTTP 503)"), "full sync")
LIMITED = problem_of(RateLimited("AniList is rate limiting us (HTTP 429)"), "full sync")


@pytest.mark.parametrize(
    ("error", "event", "title"),
    [
        pytest.param(
            AuthExpired("Trakt refused the refresh token; re-authorize Trakt"),
            Event.AUTH,
            "Trakt needs re-authorization",
            id="trakt-auth",
        ),
        pytest.param(
            AuthExpired("AniList rejected the access token (HTTP 401)"),
            Event.AUTH,
            "AniList refused the sync",
            id="anilist-token",
        ),
        pytest.param(
            GraphQLError("AniList: Private User", status=403),
            Event.AUTH,
            "AniList refused the sync",
            id="anilist-private",
        ),
        pytest.param(
            UpstreamRejected("AniList rejected POST / (HTTP 400)", status=400),
            Event.AUTH,
            "AniList refused the sync",
            id="anilist-rejected",
        ),
        pytest.param(
            UpstreamRejected("Trakt rejected GET /shows/1 (HTTP 400)", status=400),
            Event.FAILURE,
            "full sync failed",
            id="trakt-rejected",
        ),
        pytest.param(RateLimited("AniList is rate limiting us"), Event.FAILURE, "full sync failed"),
    ],
)
def test_failures_are_sorted_into_auth_and_failure(
    error: Exception, event: Event, title: str
) -> None:
    problem = problem_of(error, "full sync")  # type: ignore[arg-type]
    assert (problem.event, problem.title) == (event, title)


def test_the_same_cause_with_other_numbers_is_the_same_problem() -> None:
    one = problem_of(UpstreamRejected("Trakt rejected GET /shows/1 (HTTP 400)", status=400), "x")
    two = problem_of(UpstreamRejected("Trakt rejected GET /shows/22 (HTTP 403)", status=403), "x")
    assert one.key == two.key != DOWN.key


def test_a_new_cause_is_told_even_while_failing() -> None:
    alerts, state = after_run(AlertState(DOWN), RunFacts("full sync", LIMITED), ALL)

    assert [a.body for a in alerts] == ["AniList is rate limiting us (HTTP 429)"]
    assert state.problem == LIMITED


def test_an_interrupted_run_changes_nothing() -> None:
    before = AlertState(DOWN, frozenset({1}))

    alerts, after = after_run(before, RunFacts("full sync", interrupted=True), ALL)

    assert alerts == []
    assert after == before


def test_recovery_is_not_told_when_the_problem_was_not_asked_for() -> None:
    stored = Problem.from_json(DOWN.to_json())
    assert stored is not None
    alerts, state = after_run(AlertState(stored), RunFacts("full sync"), frozenset({"review"}))

    assert alerts == []
    assert state.problem is None


def test_an_entry_resolved_and_unmapped_again_is_told_again() -> None:
    entry = {"title": "Nobody Knows", "reason": "no Trakt match"}
    state = AlertState(told_unmapped=frozenset({600}))

    _, state = after_run(state, RunFacts("full sync", unmapped={}), ALL)
    alerts, state = after_run(state, RunFacts("full sync", unmapped={600: entry}), ALL)

    assert [a.event for a in alerts] == [Event.REVIEW]
    assert state.told_unmapped == {600}


def test_a_long_review_list_is_cut_with_a_count() -> None:
    unmapped = {n: {"title": f"Show {n}", "reason": "no match"} for n in range(1, 26)}

    [alert], _ = after_run(AlertState(), RunFacts("full sync", unmapped=unmapped), ALL)

    assert alert.title == "anitrakt: 25 unmapped"
    assert alert.body.count("\n- ") == 10
    assert "… and 15 more ('anitrakt unmapped' lists all)." in alert.body
