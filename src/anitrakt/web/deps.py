"""Request-scoped access to the runtime the app was created with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from anitrakt.usecases.container import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    """One transaction per request, committed when the handler returns normally."""
    with runtime.sessions.begin() as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
# scope="function": commit before the answer goes out. FastAPI's default ends a yield
# dependency after the response is sent, so a client told "saved" could read the old
# state back, and a commit that failed would already have been answered with a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
