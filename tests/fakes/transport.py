"""Drive an ASGI app from a synchronous httpx client, in-process.

httpx's own ASGITransport is async-only; our clients are synchronous, so each request
runs the app on a short-lived event loop. A fake simulates a network failure by answering
with the header `x-fake-transport-error: ReadTimeout` (or another name below): this
transport turns it into the exception the real network would give. (As a real server, a
fake simulates a timeout by sleeping past the client's timeout instead.)
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

FAULT_HEADER = "x-fake-transport-error"
_TRANSPORT_ERRORS: dict[str, type[httpx.TransportError]] = {
    "ReadTimeout": httpx.ReadTimeout,
    "ConnectError": httpx.ConnectError,
    "ConnectTimeout": httpx.ConnectTimeout,
    "RemoteProtocolError": httpx.RemoteProtocolError,
    "ReadError": httpx.ReadError,
}


class SyncASGITransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls an ASGI app directly."""

    def __init__(self, app: object) -> None:
        self._inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def run() -> httpx.Response:
            inner_request = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            response = await self._inner.handle_async_request(inner_request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            response = asyncio.run(run())
        else:
            # This thread already runs an event loop (e.g. Playwright's sync API in the
            # same test session): run the app on a loop of its own in a worker thread.
            with ThreadPoolExecutor(max_workers=1) as worker:
                response = worker.submit(asyncio.run, run()).result()
        fault = response.headers.get(FAULT_HEADER)
        if fault:
            raise _TRANSPORT_ERRORS[fault](f"fake {fault}", request=request)
        return response


class RoutingTransport(httpx.BaseTransport):
    """Send each request to the transport registered for its host (one per fake)."""

    def __init__(self, routes: dict[str, httpx.BaseTransport]) -> None:
        self._routes = routes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._routes.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no fake serves {request.url.host}", request=request)
        return transport.handle_request(request)


class StrippingTransport(httpx.BaseTransport):
    """A proxy in the middle that drops some request headers before passing them on."""

    def __init__(self, inner: httpx.BaseTransport, *drop: str) -> None:
        self._inner = inner
        self._drop = {name.lower() for name in drop}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for name in self._drop:
            request.headers.pop(name, None)
        return self._inner.handle_request(request)
