"""Getting alerts and pings out: Apprise for NOTIFY_URLS, plain HTTP for the ping URL.

Everything goes through one `Outbox`: a worker thread, started on first use, that sends
in order (a run's `/start` ping before its end) so a sync never waits on a slow
notification service. Each send has a short timeout; a failure is logged and never
reaches the caller. `flush()` waits for what is queued (a CLI run does before it exits).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import httpx

from anitrakt.domain.alerts import Alert

logger = logging.getLogger("anitrakt.notify")

# A ping or webhook that takes longer than this is given up (healthchecks.io answers in
# milliseconds; Apprise's own per-service default is 4 s to connect and 4 s to read).
PING_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# What a ping body may carry (healthchecks.io keeps the first 100 kB of a ping body).
MAX_PING_BODY = 10_000

Job = Callable[[], None]


class MaskFilter(logging.Filter):
    """Masks secrets in third-party log lines (httpx logs every URL it requests)."""

    def __init__(self, mask: Callable[[str], str]) -> None:
        super().__init__()
        self._mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class Outbox:
    """Runs send jobs one after another on a background thread."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Job | threading.Event | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, job: Job) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="anitrakt-notify", daemon=True
                )
                self._thread.start()
        self._jobs.put(job)

    def flush(self, timeout: float) -> bool:
        """Wait until every job queued so far has run; False on timeout."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                return self._jobs.empty()
        marker = threading.Event()
        self._jobs.put(marker)
        return marker.wait(timeout)

    def close(self, timeout: float) -> bool:
        """Send what is queued (up to `timeout`), then end the worker."""
        done = self.flush(timeout)
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._jobs.put(None)
        return done

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if isinstance(job, threading.Event):
                job.set()
                continue
            try:
                job()
            except Exception as exc:  # a notification must never take anything down
                logger.warning("a notification could not be sent: %s", type(exc).__name__)


class AppriseSender:
    """Sends alerts to every NOTIFY_URLS service through Apprise."""

    def __init__(self, urls: list[str], report: Callable[[str], None]) -> None:
        self._urls = urls
        self._report = report  # logs a problem (warn row in `logs`)
        self._apprise: Any = None

    def send(self, alert: Alert) -> None:
        services = self._load()
        if services is None:
            return
        import apprise

        delivered = services.notify(
            title=alert.title,
            body=alert.body,
            notify_type=apprise.NotifyType(alert.level.value),
            body_format=apprise.NotifyFormat.TEXT,
        )
        if not delivered:
            self._report(
                f"notification '{alert.title}' did not reach every NOTIFY_URLS service "
                "(the server log says which failed)"
            )

    def _load(self) -> Any:
        if self._apprise is not None:
            return self._apprise or None
        # Imported here: loading Apprise's plugins takes a quarter of a second, which
        # every CLI command would pay otherwise.
        import apprise

        services = apprise.Apprise()
        for number, url in enumerate(self._urls, start=1):
            if not services.add(url):
                self._report(f"NOTIFY_URLS entry {number} is not a URL Apprise knows; skipped")
        self._apprise = services if len(services) else False
        return self._apprise or None


class PingSender:
    """healthchecks.io-style pings: `<url>/start`, `<url>` (success), `<url>/fail`."""

    def __init__(
        self,
        url: str,
        report: Callable[[str], None],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._report = report
        self._transport = transport

    def ping(self, suffix: str, body: str = "") -> None:
        target = self._url + suffix
        try:
            with httpx.Client(timeout=PING_TIMEOUT, transport=self._transport) as client:
                response = client.post(target, content=body[:MAX_PING_BODY].encode())
        except httpx.HTTPError as exc:
            self._report(f"healthcheck ping{suffix or ' (success)'} failed: {type(exc).__name__}")
            return
        if response.status_code >= 400:
            self._report(
                f"healthcheck ping{suffix or ' (success)'} answered HTTP {response.status_code}"
            )
