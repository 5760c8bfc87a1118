"""Prometheus metrics for `GET /metrics`: one registry per process, held by the Runtime.

Counters count what this process did since it started (runs, plays, upstream answers,
retry waits); they are fed by narrow hooks: `run_finished` (a sync run ended, wired
through `SyncDeps.on_finished`) and the `HttpObserver` calls of
`anitrakt.clients.http.HttpClient`. What lives in the database (last successful runs,
unmapped entries, mapping-source age) is read at scrape time in one query, so it is
right whichever process did the work (a CLI run, another replica).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from anitrakt import __version__
from anitrakt.clock import utc_now
from anitrakt.domain import keys
from anitrakt.domain.instants import parse_instant
from anitrakt.errors import Interrupted
from anitrakt.store.system_config import get_config_many

if TYPE_CHECKING:  # the engine imports the resolver, which imports the Runtime holding us
    from anitrakt.usecases.sync.report import SyncReport

# Prometheus' text format, version 0.0.4.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_LAST_RUNS = {
    "manual": keys.STATUS_SYNC_LAST_RUN,
    "automated": keys.STATUS_SYNC_LAST_RUN_AUTO,
    "completed": keys.STATUS_SYNC_COMPLETED_LAST_RUN,
    "watching": keys.STATUS_SYNC_WATCHING_LAST_RUN,
}
_SOURCES = {"fribbs": keys.STATUS_FRIBBS_LAST_SYNC, "otaku": keys.STATUS_OTAKU_LAST_SYNC}


def outcome_of(report: SyncReport) -> str:
    if report.dry_run:
        return "dry_run"
    if isinstance(report.failure, Interrupted):
        return "interrupted"
    return "failed" if report.failure is not None else "succeeded"


class Metrics:
    """This process's registry; also the `HttpObserver` the upstream clients report to."""

    def __init__(
        self, sessions: sessionmaker[Session], *, now: Callable[[], datetime] = utc_now
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._runs = Counter(
            "anitrakt_sync_runs",
            "Sync runs this process finished, by mode and outcome.",
            ["mode", "outcome"],
            registry=self.registry,
        )
        self._plays = Counter(
            "anitrakt_plays_posted",
            "Plays posted to Trakt (confirmed), by sync mode.",
            ["mode"],
            registry=self.registry,
        )
        self._requests = Counter(
            "anitrakt_upstream_requests",
            "Upstream HTTP attempts by upstream and status ('error': no answer).",
            ["upstream", "status"],
            registry=self.registry,
        )
        self._waits = Counter(
            "anitrakt_upstream_retry_wait_seconds",
            "Seconds spent waiting before retrying an upstream; reason rate_limited is a 429.",
            ["upstream", "reason"],
            registry=self.registry,
        )
        self.registry.register(_StoredState(sessions, now))

    def run_finished(self, report: SyncReport) -> None:
        """Count a finished run and the plays it posted."""
        self._runs.labels(report.mode, outcome_of(report)).inc()
        if not report.dry_run:
            self._plays.labels(report.mode).inc(report.added)

    def answered(self, upstream: str, status: int | None) -> None:
        self._requests.labels(upstream, "error" if status is None else str(status)).inc()

    def waited(self, upstream: str, seconds: float, *, rate_limited: bool) -> None:
        self._waits.labels(upstream, "rate_limited" if rate_limited else "retry").inc(seconds)

    def render(self) -> bytes:
        """The exposition text, counters and the database's state."""
        return generate_latest(self.registry)


class _StoredState(Collector):
    """Gauges read from `system_config` at scrape time (one query)."""

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._now = now

    def describe(self) -> list[Metric]:
        return []  # collected fresh at every scrape; nothing to check up front

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("anitrakt_info", "The running version.", labels=["version"])
        info.add_metric([__version__], 1)
        yield info
        up = GaugeMetricFamily("anitrakt_database_up", "1 when the database answered.")
        wanted = [*_LAST_RUNS.values(), *_SOURCES.values(), keys.SYNC_UNMAPPED]
        try:
            with self._sessions() as session:
                values = get_config_many(session, [*wanted, keys.SYNC_LAST_FAILURE])
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from self._from(values)

    def _from(self, values: dict[str, object]) -> Iterator[Metric]:
        last = GaugeMetricFamily(
            "anitrakt_last_success_timestamp_seconds",
            "When each kind of sync last succeeded (unix time).",
            labels=["run"],
        )
        for run, key in _LAST_RUNS.items():
            moment = parse_instant(values.get(key))
            if moment is not None:
                last.add_metric([run], moment.timestamp())
        yield last
        failing = GaugeMetricFamily(
            "anitrakt_last_sync_failed", "1 while the latest sync stopped on an error."
        )
        failing.add_metric([], 1 if values.get(keys.SYNC_LAST_FAILURE) else 0)
        yield failing
        unmapped = values.get(keys.SYNC_UNMAPPED)
        entries = GaugeMetricFamily(
            "anitrakt_entries_unmapped", "AniList entries recent runs could not map to Trakt."
        )
        entries.add_metric([], len(unmapped) if isinstance(unmapped, dict) else 0)
        yield entries
        refreshed = GaugeMetricFamily(
            "anitrakt_mapping_source_refreshed_timestamp_seconds",
            "When each mapping source was last downloaded (unix time).",
            labels=["source"],
        )
        age = GaugeMetricFamily(
            "anitrakt_mapping_source_age_seconds",
            "Seconds since each mapping source was last downloaded.",
            labels=["source"],
        )
        now = self._now()
        for source, key in _SOURCES.items():
            moment = parse_instant(values.get(key))
            if moment is not None:
                refreshed.add_metric([source], moment.timestamp())
                age.add_metric([source], max(0.0, (now - moment).total_seconds()))
        yield refreshed
        yield age
