"""The one way to record an operational event: a `logs` row plus a stderr line.

Recording never breaks the caller: a failed insert is reported on stderr and swallowed.
Every configured secret is masked before the message goes anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.domain.values import LogLevel
from anitrakt.store.logs import append_log

MASK = "***"
# Shorter values would mask ordinary words and numbers by accident.
MIN_SECRET_LENGTH = 6

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
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, value: str | None) -> None:
        """Mask `value` from now on (e.g. a token learned at run time)."""
        if value and len(value) >= MIN_SECRET_LENGTH:
            self._secrets.add(value)

    def mask(self, message: str) -> str:
        """`message` with every known secret replaced by ***."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            message = message.replace(secret, MASK)
        return message

    def record(self, level: LogLevel, message: str) -> None:
        """Write the event to `logs` and stderr; never raises."""
        text = self.mask(str(message))
        logger.log(_PY_LEVELS[LogLevel(level)], text)
        try:
            with self._sessions.begin() as session:
                append_log(session, text, level)
        except Exception as exc:  # a log write must never take the caller down
            logger.warning("could not record the event in the logs table: %s", type(exc).__name__)

    def info(self, message: str) -> None:
        self.record(LogLevel.INFO, message)

    def warn(self, message: str) -> None:
        self.record(LogLevel.WARN, message)

    def error(self, message: str) -> None:
        self.record(LogLevel.ERROR, message)
