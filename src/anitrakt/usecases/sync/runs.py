"""The syncs a person starts (a route, a command): one call each, over the runtime.

Each opens the run's clients from the runtime, runs one mode of the pipeline
(`usecases.sync.modes`) and returns its report; `progress` (a `RunProgress`: the phase,
and while posting confirmed of planned plays) feeds a progress bar or a job. What each
mode reads and posts is in docs/sync.md §1; the features beyond history in
docs/beyond-history.md.
"""

from __future__ import annotations

from collections.abc import Callable

from anitrakt.domain.extras import Extra
from anitrakt.domain.values import SyncMode
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sync.modes import (
    ShowSyncResult,
    run_extras_only,
    run_full,
    run_list,
    sync_show,
)
from anitrakt.usecases.sync.report import RunProgress, SyncReport

Progress = Callable[[RunProgress], None]


def run_sync(
    runtime: Runtime,
    mode: SyncMode,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    job_id: str | None = None,
) -> SyncReport:
    """Run one manual sync of `mode` (full, completed or watching) and report it.

    `progress` hears each phase (`RunProgress`); `job_id` names the background job the
    run belongs to (a 409 to another caller names it).
    """
    with runtime.sync_deps() as deps:
        deps.progress = progress
        deps.job_id = job_id
        if mode is SyncMode.FULL:
            return run_full(deps, dry_run=dry_run)
        return run_list(deps, completed=mode is SyncMode.COMPLETED, dry_run=dry_run)


def run_extras(runtime: Runtime, *, dry_run: bool = False) -> SyncReport:
    """Run the features beyond history that are on, alone (docs/beyond-history.md)."""
    with runtime.sync_deps() as deps:
        return run_extras_only(deps, dry_run=dry_run)


def preview_extras(runtime: Runtime) -> SyncReport:
    """What every feature beyond history would write now, on or not; writes nothing."""
    with runtime.sync_deps() as deps:
        return run_extras_only(deps, dry_run=True, features=Extra)


def cache_show(runtime: Runtime, anilist_id: int) -> ShowSyncResult:
    """Resolve one entry and cache its Trakt episode list; posts nothing."""
    with runtime.sync_deps() as deps:
        return sync_show(deps, anilist_id)
