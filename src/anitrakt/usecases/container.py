"""What a running anitrakt holds: settings, the engine, sessions and the event log.

Built by the CLI and by `create_app()`; passed down, never reached through globals.
It also holds the per-process state that must be shared rather than rebuilt: the
mapping-source index (loaded once, see `anitrakt.usecases.sources.index`) and how mapping
sources are downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.download import DownloadOptions
from anitrakt.config import Settings
from anitrakt.store.db import create_db_engine, create_session_factory
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.sources.index import SharedSourceIndex


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    events: EventLog
    downloads: DownloadOptions = field(default_factory=DownloadOptions)
    source_index: SharedSourceIndex = field(init=False)

    def __post_init__(self) -> None:
        self.source_index = SharedSourceIndex(self.sessions)

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        engine = create_db_engine(settings.sqlalchemy_url)
        sessions = create_session_factory(engine)
        return cls(settings, engine, sessions, EventLog(sessions, settings.secret_values()))

    def close(self) -> None:
        self.events.flush()
        self.engine.dispose()
