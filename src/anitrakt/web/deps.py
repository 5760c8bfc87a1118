"""Request-scoped access to the runtime the app was created with.

Routes take the runtime and call a use case, which owns its transaction and commits
before returning: an answer saying "saved" is only sent once it is.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from anitrakt.usecases.container import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
