"""Request-scoped access to the runtime the app was created with.

Routes take the runtime and call a use case, which owns its transaction and commits
before returning: an answer saying "saved" is only sent once it is.

`get_runtime` is `async` on purpose: FastAPI runs a plain `def` dependency in the thread
pool, and a hop there and back for an attribute read cost more than the query behind
most read routes (issue 18).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from anitrakt.usecases.container import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
