"""Run an ASGI app as a real HTTP server on 127.0.0.1 in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(
    app: object, *, startup_timeout: float = 10.0, lifespan: str = "off"
) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (http://127.0.0.1:PORT).

    `lifespan="on"` runs the app's start-up and shutdown (our own app needs them).
    """
    port = free_port()
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan=lifespan,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("fake server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


GateHook = Callable[[str, str, str], "bool | None"]
# What a dropped request is answered (to a client that is normally dead by then).
DROPPED_STATUS = 503


class Gate:
    """Wrap an ASGI app so a test can stop a request at a chosen point.

    `hook(method, path, phase)` runs (in a worker thread, so it may block) with phase
    "before" — the app has not seen the request — and "after" — the app has handled it
    (a history post is applied) but the response has not been sent. A "before" hook that
    returns True drops the request: the app never sees it. That is what makes a kill
    "before" a request deterministic: whether the server would still have read the
    request of a client killed meanwhile is a race, and a dropped request never
    happened. Without a hook the gate is transparent.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.hook: GateHook | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        hook = self.hook
        if hook is None or scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        method, path = str(scope["method"]), str(scope["path"])
        if await asyncio.to_thread(hook, method, path, "before"):
            await send({"type": "http.response.start", "status": DROPPED_STATUS, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return

        async def gated_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                await asyncio.to_thread(hook, method, path, "after")
            await send(message)

        await self.app(scope, receive, gated_send)
