"""What a running anitrakt holds: settings, the engine, sessions and the event log.

Built by the CLI and by `create_app()`; passed down, never reached through globals.
It also holds the per-process state that must be shared rather than rebuilt: the
mapping-source index (loaded once, see `anitrakt.mappings.index`) and how mapping
sources are downloaded, and the stop flag a shutdown sets so running syncs end at a
batch boundary.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.mappings.download import DownloadOptions
from anitrakt.mappings.index import SharedSourceIndex
from anitrakt.metrics import Metrics
from anitrakt.notify.notifier import Notifier
from anitrakt.oplog import EventLog
from anitrakt.store.db import create_db_engine, create_session_factory


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    events: EventLog
    downloads: DownloadOptions = field(default_factory=DownloadOptions)
    # Set on SIGTERM (`anitrakt.web.server`): every sync of this process stops before its
    # next batch.
    stop: threading.Event = field(default_factory=threading.Event)
    source_index: SharedSourceIndex = field(init=False)
    # Alerts and pings (NOTIFY_URLS, HEALTHCHECK_PING_URL); inert when neither is set.
    notifier: Notifier = field(init=False)
    # This process's Prometheus registry; the upstream clients report to it.
    metrics: Metrics = field(init=False)

    def __post_init__(self) -> None:
        self.source_index = SharedSourceIndex(self.sessions)
        self.notifier = Notifier.from_settings(self.settings, self.sessions, self.events)
        self.metrics = Metrics(self.sessions)
        if self.downloads.observer is None:
            self.downloads.observer = self.metrics

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        engine = create_db_engine(settings.sqlalchemy_url)
        sessions = create_session_factory(engine)
        return cls(settings, engine, sessions, EventLog(sessions, settings.secret_values()))

    def close(self) -> None:
        self.notifier.close()  # a CLI run's alerts go out before the process exits
        self.events.flush()
        self.engine.dispose()
