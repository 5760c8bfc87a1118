"""The one way to record an operational event: a `logs` row plus a stderr line.

Recording never breaks the caller. An event is written in its own transaction so a
caller's rollback cannot erase it; when that write fails (database down, or SQLite
locked by the caller's own open write), the event waits in a small in-memory queue and
is written with the next event or by `flush()`. Code that logs while holding an open
write transaction should pass its session, which writes the row in that transaction.
Every configured secret is masked before the message goes anywhere.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import utc_now
from anitrakt.domain.secrets import Masker
from anitrakt.domain.values import LogLevel
from anitrakt.store.logs import add_logs

# Events kept while the table cannot be written; the oldest go first past this.
MAX_PENDING = 1000

_PY_LEVELS = {
    LogLevel.INFO: logging.INFO,
    LogLevel.WARN: logging.WARNING,
    LogLevel.ERROR: logging.ERROR,
}

logger = logging.getLogger("anitrakt")


class EventLog:
    """Records events in their own transaction, so they survive the caller's rollback."""

    def __init__(self, sessions: sessionmaker[Session], secrets: Iterable[str] = ()) -> None:
        self._sessions = sessions
        self._pending: deque[tuple[str, LogLevel, datetime]] = deque(maxlen=MAX_PENDING)
        self._lock = threading.Lock()
        self._masker = Masker(list(secrets))

    def add_secret(self, value: str | None) -> None:
        """Mask `value` from now on (e.g. a token learned at run time)."""
        self._masker.add(value)

    def mask(self, message: str) -> str:
        """`message` with every known secret replaced by ***."""
        return self._masker.mask(message)

    def record(self, level: LogLevel, message: str, *, session: Session | None = None) -> None:
        """Write the event to `logs` and stderr; never raises.

        With `session`, the row joins that (open) transaction instead of its own.
        """
        level = LogLevel(level)
        text = self.mask(str(message))
        logger.log(_PY_LEVELS[level], text)
        if session is not None:
            add_logs(session, [(text, level, utc_now())])
            return
        with self._lock:
            self._pending.append((text, level, utc_now()))
        self.flush()

    def flush(self) -> bool:
        """Write every queued event; True when none is left waiting."""
        with self._lock:
            if not self._pending:
                return True
            batch = list(self._pending)
            try:
                with self._sessions.begin() as session:
                    add_logs(session, batch)
            except Exception as exc:  # a log write must never take the caller down
                logger.warning(
                    "could not record %d event(s) in the logs table yet: %s",
                    len(batch),
                    type(exc).__name__,
                )
                return False
            for _ in batch:
                self._pending.popleft()
            return True

    def info(self, message: str, *, session: Session | None = None) -> None:
        self.record(LogLevel.INFO, message, session=session)

    def warn(self, message: str, *, session: Session | None = None) -> None:
        self.record(LogLevel.WARN, message, session=session)

    def error(self, message: str, *, session: Session | None = None) -> None:
        self.record(LogLevel.ERROR, message, session=session)
