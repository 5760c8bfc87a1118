"""The notifier a Runtime holds: told how runs end, it decides and sends in the background.

Its narrow interface is what the rest of the app calls:
- `sync_finished(report)` after every sync run (alerts under NOTIFY_ON's rules);
- `automated_run_started()`, `automated_run_finished(report)` and
  `automated_run_failed(error)` around each automated run (the HEALTHCHECK_PING_URL
  pings; a run that could not even start is also a failure to alert about).

What it last told is kept in `system_config` under the `notify:` prefix
(`notify:problem`, `notify:unmapped`), so a restart does not repeat an alert; when the
database cannot be read it falls back to what this process remembers. Every title and
body is masked with the event log's secrets before it leaves. None of these methods
raises: a notification problem is logged and the sync goes on.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.notify import AppriseSender, MaskFilter, Outbox, PingSender
from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.domain.alerts import Alert, AlertState, Problem, RunFacts, after_run, problem_of
from anitrakt.errors import AnitraktError, Interrupted
from anitrakt.store.system_config import delete_config, get_config_many, set_config
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.sync.lock import SyncAlreadyRunning

if TYPE_CHECKING:  # the engine imports the resolver, which imports the Runtime holding us
    from anitrakt.usecases.sync.report import SyncReport

logger = logging.getLogger("anitrakt.notify")

PROBLEM_KEY = keys.NOTIFY_PROBLEM
TOLD_UNMAPPED_KEY = keys.NOTIFY_UNMAPPED
# How long closing waits for queued notifications (a CLI run about to exit, a server
# shutting down): about one slow service at Apprise's default 4 s connect + 4 s read.
CLOSE_TIMEOUT_SECONDS = 8.0
# Third-party loggers that may print a notification or ping URL.
_MASKED_LOGGERS = ("httpx", "apprise")


class Notifier:
    """Alerts for NOTIFY_URLS and pings for HEALTHCHECK_PING_URL; inert when neither is set."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        events: EventLog,
        *,
        notify_urls: list[str],
        notify_on: frozenset[str],
        ping_url: str | None = None,
        ping_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._sessions = sessions
        self._events = events
        self._enabled = notify_on
        self._alerts = AppriseSender(notify_urls, events.warn) if notify_urls else None
        self._pings = PingSender(ping_url, events.warn, ping_transport) if ping_url else None
        self._outbox = Outbox()
        self._remembered = AlertState()
        self._lock = threading.Lock()
        self._mask_filter = MaskFilter(events.mask)
        if self.active:
            for name in _MASKED_LOGGERS:
                logging.getLogger(name).addFilter(self._mask_filter)

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: sessionmaker[Session], events: EventLog
    ) -> Notifier:
        ping = settings.healthcheck_ping_url
        return cls(
            sessions,
            events,
            notify_urls=settings.notify_url_list,
            notify_on=settings.notify_events,
            ping_url=ping.get_secret_value() if ping is not None else None,
        )

    @property
    def active(self) -> bool:
        return self._alerts is not None or self._pings is not None

    # -- the interface ------------------------------------------------------------------

    def sync_finished(self, report: SyncReport) -> None:
        """Alert on what changed with this run (dry runs change nothing)."""
        if self._alerts is None or report.dry_run:
            return
        label = f"{report.mode} sync"
        failure = report.failure
        facts = RunFacts(
            label=label,
            problem=None if failure is None else problem_of(failure, label),
            interrupted=isinstance(failure, Interrupted),
            summary=report.message if failure is None and report.found else None,
        )
        self._advance(facts)

    def automated_run_started(self) -> None:
        self._ping("/start")

    def automated_run_finished(self, report: SyncReport) -> None:
        if isinstance(report.failure, Interrupted):
            return  # neither a success nor a failure of the job
        self._ping("/fail" if report.failure is not None else "", report.message)

    def automated_run_failed(self, error: BaseException) -> None:
        """An automated run stopped before it could report (e.g. a setting is missing)."""
        if isinstance(error, SyncAlreadyRunning):
            return  # another run is on it; the next tick tries again
        if isinstance(error, AnitraktError):
            message = error.message
        else:
            message = f"unexpected {type(error).__name__}"
        self._ping("/fail", f"scheduled sync could not run: {message}")
        if self._alerts is not None and isinstance(error, AnitraktError):
            self._advance(RunFacts("scheduled sync", problem_of(error, "scheduled sync")))

    def flush(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> bool:
        """Wait for queued notifications; False when some are still going."""
        return self._outbox.flush(timeout)

    def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        if not self._outbox.close(timeout):
            logger.warning("notifications still queued at exit were dropped")
        for name in _MASKED_LOGGERS:
            logging.getLogger(name).removeFilter(self._mask_filter)

    # -- internals ----------------------------------------------------------------------

    def _advance(self, facts: RunFacts) -> None:
        try:
            with self._lock:
                alerts = self._decide(facts)
        except Exception as exc:  # never break the sync that told us
            logger.warning("notification state could not be updated: %s", type(exc).__name__)
            return
        for alert in alerts:
            self._send(alert)

    def _decide(self, facts: RunFacts) -> list[Alert]:
        assert self._alerts is not None
        try:
            with self._sessions.begin() as session:
                stored = get_config_many(
                    session, [PROBLEM_KEY, TOLD_UNMAPPED_KEY, keys.SYNC_UNMAPPED]
                )
                facts = _with_unmapped(facts, stored.get(keys.SYNC_UNMAPPED))
                alerts, state = after_run(_state_of(stored), facts, self._enabled)
                if state.problem is None:
                    delete_config(session, PROBLEM_KEY)
                else:
                    set_config(session, PROBLEM_KEY, state.problem.to_json())
                set_config(session, TOLD_UNMAPPED_KEY, sorted(state.told_unmapped))
        except SQLAlchemyError:
            # The database is down (often the very failure being reported): decide on
            # what this process remembers, so the alert still goes out once.
            alerts, state = after_run(self._remembered, facts, self._enabled)
        self._remembered = state
        return alerts

    def _send(self, alert: Alert) -> None:
        sender = self._alerts
        assert sender is not None
        mask = self._events.mask
        safe = Alert(alert.event, alert.level, mask(alert.title), mask(alert.body))
        self._outbox.put(lambda: sender.send(safe))

    def _ping(self, suffix: str, body: str = "") -> None:
        pings = self._pings
        if pings is not None:
            safe = self._events.mask(body)
            self._outbox.put(lambda: pings.ping(suffix, safe))


def _state_of(stored: dict[str, Any]) -> AlertState:
    told = stored.get(TOLD_UNMAPPED_KEY)
    ids = frozenset(i for i in told if isinstance(i, int)) if isinstance(told, list) else None
    return AlertState(Problem.from_json(stored.get(PROBLEM_KEY)), ids or frozenset())


def _with_unmapped(facts: RunFacts, value: Any) -> RunFacts:
    if not isinstance(value, dict):
        value = {}
    unmapped = {int(k): v for k, v in value.items() if k.isdigit() and isinstance(v, dict)}
    return replace(facts, unmapped=unmapped)
