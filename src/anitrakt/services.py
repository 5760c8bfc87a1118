"""Building the upstream clients and sync dependencies from a Runtime.

The CLI and the web app both call these, so a command and a route run exactly the
same core with exactly the same wiring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import httpx

from anitrakt.clients.anilist import AniListClient
from anitrakt.clients.timing import Clock
from anitrakt.clients.tmdb import TMDBClient
from anitrakt.clients.trakt import TraktClient
from anitrakt.domain.trakt import TokenSet
from anitrakt.mappings.refresh import refresh_stale_sources
from anitrakt.mappings.resolver import Resolver, build_resolver
from anitrakt.runtime import Runtime
from anitrakt.store.tokens import SqlTokenStore
from anitrakt.store.types import utc_now
from anitrakt.sync.engine import SyncDeps, SyncReport
from anitrakt.sync.modes import run_full

ResolverFactory = Callable[[Runtime, TraktClient, TMDBClient], Resolver]

logger = logging.getLogger("anitrakt.services")


def _mask_tokens(runtime: Runtime) -> Callable[[TokenSet], None]:
    def learn(tokens: TokenSet) -> None:
        runtime.events.add_secret(tokens.access_token)
        runtime.events.add_secret(tokens.refresh_token)

    return learn


def trakt_client(
    runtime: Runtime, *, clock: Clock | None = None, transport: httpx.BaseTransport | None = None
) -> TraktClient:
    """The Trakt client over the stored tokens; learned tokens are masked in logs."""
    return TraktClient.from_settings(
        runtime.settings,
        SqlTokenStore(runtime.sessions),
        clock=clock,
        transport=transport,
        on_tokens=_mask_tokens(runtime),
        observer=runtime.metrics,
    )


def _run_finished(runtime: Runtime) -> Callable[[SyncReport], None]:
    """What a run's end tells this process: the metrics and the notifier."""

    def tell(report: SyncReport) -> None:
        try:
            runtime.metrics.run_finished(report)
            runtime.notifier.sync_finished(report)
        except Exception as exc:  # the run is over and recorded; its report must get back
            logger.warning("reporting a finished run failed: %s", type(exc).__name__)

    return tell


def default_resolver(runtime: Runtime, trakt: TraktClient, tmdb: TMDBClient) -> Resolver:
    """The resolution chain of SPEC §4 over this process's shared mapping index."""
    return build_resolver(runtime, trakt, tmdb)


@contextmanager
def sync_deps(
    runtime: Runtime,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
    resolver_factory: ResolverFactory = default_resolver,
) -> Iterator[SyncDeps]:
    """Everything one sync run needs; the clients are closed afterwards."""
    settings = runtime.settings
    with ExitStack() as stack:
        metrics = runtime.metrics
        anilist = stack.enter_context(
            AniListClient.from_settings(
                settings, clock=clock, transport=transport, observer=metrics
            )
        )
        trakt = stack.enter_context(trakt_client(runtime, clock=clock, transport=transport))
        tmdb = TMDBClient.from_settings(
            settings, clock=clock, transport=transport, observer=metrics
        )
        stack.callback(tmdb.close)
        yield SyncDeps(
            sessions=runtime.sessions,
            events=runtime.events,
            anilist=anilist,
            trakt=trakt,
            resolver=resolver_factory(runtime, trakt, tmdb),
            now=utc_now,
            stop=runtime.stop,
            on_finished=_run_finished(runtime),
        )


def run_automated_sync(
    runtime: Runtime, *, transport: httpx.BaseTransport | None = None
) -> SyncReport:
    """The unattended run (scheduler and /api/cron): stale mapping sources, then a full sync.

    Without the refresh a fresh install would resolve nothing, and shows added to Fribb
    or Otaku after the last manual refresh would stay unmapped.
    """
    notifier = runtime.notifier  # healthcheck pings: /start, then success or /fail
    notifier.automated_run_started()
    try:
        refresh_stale_sources(runtime)
        with sync_deps(runtime, transport=transport) as deps:
            report = run_full(deps, automated=True)
    except Exception as exc:
        notifier.automated_run_failed(exc)
        raise
    notifier.automated_run_finished(report)
    return report
