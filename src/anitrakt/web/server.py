"""Serving the app with uvicorn, stopping cleanly on SIGTERM (and Ctrl-C).

uvicorn already turns SIGTERM into a graceful shutdown: stop accepting, let open
requests finish, run the lifespan's shutdown (which stops the scheduler). On top of
that the signal sets the runtime's stop flag at once, so a sync in progress, in a
request or in the scheduler, ends at its next batch boundary instead of holding the
shutdown up (or being killed mid-batch when the container runtime loses patience).
"""

from __future__ import annotations

import socket
from types import FrameType

import uvicorn
from fastapi import FastAPI

from anitrakt.web.accesslog import uvicorn_log_config

# Open requests get this long to finish after SIGTERM; a sync among them stops at its
# next batch (one Trakt post, about a second). Docker and podman kill after 10 s.
GRACEFUL_SHUTDOWN_SECONDS = 5


def request_stop(app: FastAPI) -> None:
    """Ask every sync this app runs to stop before its next batch."""
    runtime = getattr(app.state, "runtime", None)
    if runtime is not None:
        runtime.stop.set()


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Say "serving" only once the port is bound: a second `serve` on a busy port
        must not write that line into the shared log before failing."""
        await super().startup(sockets)
        runtime = getattr(self._app.state, "runtime", None)
        if self.started and runtime is not None:
            where = f"{self.config.host}:{self.config.port}"
            runtime.events.info(f"anitrakt serving on {where}")

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        request_stop(self._app)
        super().handle_exit(sig, frame)


def server_config(app: FastAPI, *, host: str, port: int) -> uvicorn.Config:
    """How `serve` runs uvicorn: the masked access log, no proxy handling of its own."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        log_config=uvicorn_log_config(),
        # The app's edge believes X-Forwarded-* only from ANITRAKT_TRUSTED_PROXIES;
        # uvicorn's own handling would trust 127.0.0.1 behind its back.
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def run_server(app: FastAPI, *, host: str, port: int) -> None:
    """Serve `app` until SIGTERM or SIGINT; the signal also stops running syncs."""
    _Server(server_config(app, host=host, port=port), app).run()
