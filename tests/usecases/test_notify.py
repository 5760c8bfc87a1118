"""Notifications as the person receiving them sees them.

A local receiver stands in for the services: Apprise's `json://` (and `form://`) URLs
post to it, and so do the healthcheck pings. Runs go through the real wiring
(`sync_deps` → the Runtime's notifier) against the in-process fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.errors import ConfigError, UpstreamUnavailable
from anitrakt.store.logs import list_logs
from anitrakt.store.system_config import get_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.notifier import PROBLEM_KEY, TOLD_UNMAPPED_KEY
from anitrakt.usecases.scheduler import run_automated_sync
from anitrakt.usecases.sync.modes import run_full
from anitrakt.usecases.sync.report import SyncReport
from fakes.receiver import Received, Receiver
from fakes.server import serve_in_thread
from sync_world import AOT, LOST, SPLIT, World

NOTIFY_PATH = "/notify"
PING_PATH = "/ping/0123-check"


@dataclass
class Harness:
    world: World
    receiver: Receiver
    base: str
    runtimes: list[Runtime]

    def runtime(self, *, scheme: str = "json", **update: Any) -> Runtime:
        """A Runtime whose NOTIFY_URLS points at the receiver (NOTIFY_ON as given)."""
        host = self.base.removeprefix("http://")
        settings = self.world.settings.model_copy(
            update={"notify_urls": SecretStr(f"{scheme}://{host}{NOTIFY_PATH}"), **update}
        )
        events = EventLog(self.world.sessions, settings.secret_values())
        runtime = Runtime(
            settings,
            self.world.sessions.kw["bind"],
            self.world.sessions,
            events,
            transport=self.world.transport(),
            clock=self.world.clock,
        )
        self.runtimes.append(runtime)
        return runtime

    def sync(self, runtime: Runtime, *, dry_run: bool = False) -> SyncReport:
        with runtime.sync_deps() as deps:
            report = run_full(deps, dry_run=dry_run)
        assert runtime.notifier.flush(30)
        return report

    def alerts(self) -> list[dict[str, Any]]:
        return [r.fields for r in self.receiver.at(NOTIFY_PATH)]


@pytest.fixture
def harness(sessions: sessionmaker[Session], settings: Settings) -> Iterator[Harness]:
    world = World(sessions, settings).small_library()
    receiver = Receiver()
    with serve_in_thread(receiver) as base:
        h = Harness(world, receiver, base, [])
        yield h
        for runtime in h.runtimes:
            runtime.notifier.close(30)


def _trakt_answers_503(world: World) -> None:
    world.trakt.fail_next(1000, status=503, path="/sync/watched/*")


def test_a_failing_sync_is_told_once_and_its_recovery_once(harness: Harness) -> None:
    world = harness.world
    runtime = harness.runtime()
    world.watched(SPLIT, "1 - 3")
    _trakt_answers_503(world)

    first = harness.sync(runtime)
    world.watched(SPLIT, "4")
    second = harness.sync(runtime)  # the same failure again: nothing new to tell
    world.trakt.clear_faults()
    third = harness.sync(runtime)

    assert first.error is not None
    assert second.error is not None
    assert third.error is None
    failure, recovered = harness.alerts()
    assert failure["title"] == "anitrakt: full sync failed"
    assert failure["message"] == "Trakt is unavailable (HTTP 503)"
    assert failure["type"] == "failure"
    assert recovered["title"] == "anitrakt: syncing again"
    assert "full sync failed" in recovered["message"]
    assert recovered["type"] == "success"


def test_the_told_state_survives_a_restart(harness: Harness) -> None:
    world = harness.world
    world.watched(SPLIT, "1 - 3")
    _trakt_answers_503(world)
    harness.sync(harness.runtime())

    harness.sync(harness.runtime())  # a new process, the same failure

    assert len(harness.alerts()) == 1
    with world.sessions() as session:
        assert get_config(session, PROBLEM_KEY)["event"] == "failure"


def test_trakt_needing_reauthorization_is_an_auth_alert(harness: Harness) -> None:
    world = harness.world
    world.watched(SPLIT, "1 - 3")
    world.trakt.revoke_tokens(world.tokens.access_token)  # disconnected on trakt.tv

    report = harness.sync(harness.runtime(notify_on="auth"))

    assert report.error is not None
    [alert] = harness.alerts()
    assert alert["title"] == "anitrakt: Trakt needs re-authorization"
    assert "anitrakt auth trakt" in alert["message"]
    assert alert["type"] == "warning"


def test_anilist_refusing_the_token_is_an_auth_alert(harness: Harness) -> None:
    harness.world.anilist.fail_next("graphql_error", status=401, message="Invalid token")

    harness.sync(harness.runtime(notify_on="failure"))  # auth problems are failures too

    [alert] = harness.alerts()
    assert alert["title"] == "anitrakt: AniList refused the sync"
    assert "ANILIST_ACCESS_TOKEN" in alert["message"]


def test_new_unmapped_entries_are_told_once(harness: Harness) -> None:
    world = harness.world
    runtime = harness.runtime()
    world.watched(LOST, "1")
    harness.sync(runtime)
    world.watched(LOST, "2")
    world.watched(SPLIT, "1")
    harness.sync(runtime)

    [alert] = harness.alerts()
    assert alert["title"] == "anitrakt: 1 unmapped"
    assert f"Nobody Knows (AniList {LOST})" in alert["message"]
    assert "/mappings" in alert["message"]
    with world.sessions() as session:
        assert get_config(session, TOLD_UNMAPPED_KEY) == [LOST]


def test_a_summary_follows_each_run_that_found_something(harness: Harness) -> None:
    world = harness.world
    runtime = harness.runtime(notify_on="summary")
    world.watched(SPLIT, "1 - 3")
    world.watched(AOT, "1")
    harness.sync(runtime)
    harness.sync(runtime)  # nothing new on AniList: nothing to say

    [summary] = harness.alerts()
    assert summary["title"] == "anitrakt: full sync"
    assert summary["message"].startswith("full sync: posted 4 plays for 2 entries")


def test_dry_runs_and_quiet_events_send_nothing(harness: Harness) -> None:
    world = harness.world
    world.watched(LOST, "1")
    _trakt_answers_503(world)
    harness.sync(harness.runtime(), dry_run=True)
    harness.sync(harness.runtime(notify_on="summary"))  # failed and unmapped: not asked for

    assert harness.alerts() == []


def test_form_urls_work_too(harness: Harness) -> None:
    _trakt_answers_503(harness.world)
    harness.world.watched(SPLIT, "1")

    harness.sync(harness.runtime(scheme="form"))

    [alert] = harness.alerts()
    assert alert["title"] == "anitrakt: full sync failed"


def test_no_secret_leaves_in_a_message(harness: Harness) -> None:
    runtime = harness.runtime(notify_on="failure,summary")
    secrets = runtime.settings.secret_values()
    leaky = UpstreamUnavailable(f"proxy said: token {secrets[0]} refused at {secrets[-1]}")

    runtime.notifier.sync_finished(SyncReport("full", dry_run=False, found=1, failure=leaky))
    assert runtime.notifier.flush(30)

    [alert] = harness.receiver.at(NOTIFY_PATH)
    assert "proxy said: token *** refused at ***" in alert.fields["message"]
    assert not any(secret in alert.text for secret in secrets)


def test_an_unreachable_service_never_breaks_the_sync(harness: Harness) -> None:
    harness.receiver.status = 500
    world = harness.world
    world.watched(SPLIT, "1 - 3")
    _trakt_answers_503(world)
    runtime = harness.runtime()

    report = harness.sync(runtime)

    assert report.error == "Trakt is unavailable (HTTP 503)"  # the run's own outcome
    with world.sessions() as session:
        messages = [row.message for row in list_logs(session)]
    assert any("did not reach every NOTIFY_URLS service" in m for m in messages)


# -- healthcheck pings around automated runs ---------------------------------------------


def _automated(harness: Harness, **update: Any) -> Callable[[], SyncReport]:
    ping = SecretStr(harness.base + PING_PATH)
    runtime = harness.runtime(healthcheck_ping_url=ping, **update)

    def run() -> SyncReport:
        try:
            return run_automated_sync(runtime)
        finally:
            assert runtime.notifier.flush(30)

    return run


def _pings(receiver: Receiver) -> list[Received]:
    return [r for r in receiver.received if r.path.startswith(PING_PATH)]


def test_an_automated_run_pings_start_then_success(harness: Harness) -> None:
    harness.world.watched(SPLIT, "1 - 3")

    report = _automated(harness)()

    assert report.error is None
    start, done = _pings(harness.receiver)
    assert (start.method, start.path) == ("POST", PING_PATH + "/start")
    assert (done.method, done.path) == ("POST", PING_PATH)
    assert done.text.startswith("full sync: posted 3 plays")


def test_a_failed_automated_run_pings_fail_with_the_reason(harness: Harness) -> None:
    world = harness.world
    world.watched(SPLIT, "1 - 3")
    world.trakt.revoke_tokens(world.tokens.access_token)

    _automated(harness)()

    assert [p.path for p in _pings(harness.receiver)] == [PING_PATH + "/start", PING_PATH + "/fail"]
    assert "re-authorize Trakt" in _pings(harness.receiver)[1].text


def test_an_automated_run_that_cannot_start_pings_fail_and_alerts_once(
    harness: Harness,
) -> None:
    run = _automated(harness, trakt_client_id=None)

    for _ in range(2):
        with pytest.raises(ConfigError):
            run()

    pings = [p.path.removeprefix(PING_PATH) for p in _pings(harness.receiver)]
    assert pings == ["/start", "/fail", "/start", "/fail"]
    assert "TRAKT_CLIENT_ID" in _pings(harness.receiver)[1].text
    [alert] = harness.alerts()
    assert alert["title"] == "anitrakt: scheduled sync failed"
    assert "TRAKT_CLIENT_ID is not set" in alert["message"]
