"""The one process container: what a running anitrakt holds and how it builds clients.

`create_app()` and the CLI open one `Runtime` from the settings and pass it to every use
case; nothing reaches it through globals. It holds the database, the event log, the
per-process state that must be shared rather than rebuilt (the mapping-source index,
loaded once), how every upstream is reached (one optional transport — tests point it
at the fakes — and one clock, used by every client it builds), the metrics registry the
clients report to, the notifier, and the stop flag a shutdown sets so running syncs end
at a batch boundary.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clock import Clock, SystemClock
from anitrakt.config import Settings
from anitrakt.store.db import create_db_engine, create_session_factory
from anitrakt.store.loop_reads import LoopReads, WouldWait, open_loop_reads
from anitrakt.usecases.events import EventLog

# The clients, the notifier and the metrics are imported when first used: a CLI command
# that only reads the database (`anitrakt status`) must not pay for httpx and friends.
if TYPE_CHECKING:
    import httpx

    from anitrakt.clients.anilist import AniListClient
    from anitrakt.clients.download import DownloadOptions
    from anitrakt.clients.tmdb import TMDBClient
    from anitrakt.clients.trakt import TraktClient
    from anitrakt.store.covers import CoverCache
    from anitrakt.usecases.covers import CoverFiller
    from anitrakt.usecases.library import ListSnapshot
    from anitrakt.usecases.metrics import Metrics
    from anitrakt.usecases.notifier import Notifier
    from anitrakt.usecases.resolver import ChainResolver
    from anitrakt.usecases.sources.index import SharedSourceIndex
    from anitrakt.usecases.sync.report import SyncDeps, SyncReport

logger = logging.getLogger("anitrakt.container")

T = TypeVar("T")
P = ParamSpec("P")
_BUILDING = threading.RLock()


class _once(Generic[T]):  # lower case: used like @cached_property
    """`cached_property` that builds under a lock: the web app's threads share one.

    A non-data descriptor, so a test may still replace the value by assignment.
    """

    def __init__(self, build: Callable[[Any], T]) -> None:
        self._build = build
        self._name = build.__name__
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, instance: None, owner: type) -> _once[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> T | _once[T]:
        if instance is None:
            return self
        values = instance.__dict__
        if self._name not in values:
            with _BUILDING:
                if self._name not in values:
                    values[self._name] = self._build(instance)
        value: T = values[self._name]
        return value


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    events: EventLog
    # Every upstream request (AniList, Trakt, TMDB, mapping files) goes through this
    # transport when set; None is the real network.
    transport: httpx.BaseTransport | None = None
    clock: Clock = field(default_factory=SystemClock)
    # Set on SIGTERM (`anitrakt.web.server`): every sync of this process stops before its
    # next batch.
    stop: threading.Event = field(default_factory=threading.Event)
    # The web app's reads on its event loop (`open_loop_reads`); None in the CLI, and
    # then `read_from_loop` reads in a worker thread.
    loop_reads: LoopReads | None = None

    # Built on first use (and replaceable, e.g. by a test): see the imports above.
    @_once
    def metrics(self) -> Metrics:
        """This process's Prometheus registry; the upstream clients report to it."""
        from anitrakt.usecases.metrics import Metrics

        return Metrics(self.sessions)

    @_once
    def downloads(self) -> DownloadOptions:
        from anitrakt.clients.download import DownloadOptions

        return DownloadOptions(clock=self.clock, transport=self.transport, observer=self.metrics)

    @_once
    def source_index(self) -> SharedSourceIndex:
        """The mapping-source index, loaded once per process."""
        from anitrakt.usecases.sources.index import SharedSourceIndex

        return SharedSourceIndex(self.sessions)

    @_once
    def cover_cache(self) -> CoverCache:
        """Cover thumbnails on disk (docs/covers.md); shared by every run and request."""
        from anitrakt.usecases.covers import cover_cache

        return cover_cache(self.settings)

    @_once
    def cover_filler(self) -> CoverFiller:
        """Fills the covers of the library's whole-list reads in the background."""
        from anitrakt.usecases.covers import CoverFiller

        return CoverFiller(self)

    @_once
    def library_snapshot(self) -> ListSnapshot:
        """The last AniList list read, which the library's entry details reuse."""
        from anitrakt.usecases.library import ListSnapshot

        return ListSnapshot()

    @_once
    def notifier(self) -> Notifier:
        """Alerts and pings (NOTIFY_URLS, HEALTHCHECK_PING_URL); inert when neither is set."""
        from anitrakt.usecases.notifier import Notifier

        return Notifier.from_settings(self.settings, self.sessions, self.events)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> Runtime:
        engine = create_db_engine(settings.sqlalchemy_url)
        sessions = create_session_factory(engine)
        events = EventLog(sessions, settings.secret_values())
        return cls(settings, engine, sessions, events, transport, clock or SystemClock())

    def close(self) -> None:
        if "notifier" in self.__dict__:  # a CLI run's alerts go out before the process exits
            self.notifier.close()
        self.events.flush()
        self.engine.dispose()

    # -- reads ----------------------------------------------------------------------

    def read(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`work(session, ...)`, a read-only unit of work, in a session of its own."""
        with self.sessions() as session:
            return work(session, *args, **kwargs)

    def open_loop_reads(self) -> None:
        """Let `read_from_loop` read on the calling event loop (the web app's lifespan)."""
        self.loop_reads = open_loop_reads(self.settings.sqlalchemy_url)

    async def close_loop_reads(self) -> None:
        reads, self.loop_reads = self.loop_reads, None
        if reads is not None:
            await reads.close()

    async def read_from_loop(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`work(session, ...)`, read-only, run without a thread hop (store/loop_reads.py).

        In a worker thread instead when there is no loop reader or the read would wait.
        """
        if self.loop_reads is not None:
            try:
                return await self.loop_reads.run(work, *args, **kwargs)
            except WouldWait:
                pass
        import anyio.to_thread

        return await anyio.to_thread.run_sync(partial(self.read, work, *args, **kwargs))

    def now(self) -> datetime:
        """Now on this runtime's clock, as an aware UTC instant."""
        return datetime.fromtimestamp(self.clock.time(), UTC)

    # -- upstream clients -------------------------------------------------------------

    def anilist(self) -> AniListClient:
        from anitrakt.clients.anilist import AniListClient

        return AniListClient.from_settings(
            self.settings, clock=self.clock, transport=self.transport, observer=self.metrics
        )

    def trakt(self) -> TraktClient:
        """The Trakt client over the stored tokens; every token it learns is masked in logs."""
        from anitrakt.clients.trakt import TraktClient
        from anitrakt.domain.trakt import TokenSet
        from anitrakt.store.tokens import SqlTokenStore

        def learn(tokens: TokenSet) -> None:
            for secret in tokens.secrets():
                self.events.add_secret(secret)

        return TraktClient.from_settings(
            self.settings,
            SqlTokenStore(self.sessions),
            clock=self.clock,
            transport=self.transport,
            on_tokens=learn,
            observer=self.metrics,
        )

    def tmdb(self) -> TMDBClient:
        from anitrakt.clients.tmdb import TMDBClient

        return TMDBClient.from_settings(
            self.settings, clock=self.clock, transport=self.transport, observer=self.metrics
        )

    def resolver(self, trakt: TraktClient, tmdb: TMDBClient | None = None) -> ChainResolver:
        """The id resolution chain over this process's shared mapping-source index."""
        from anitrakt.usecases.resolver import ChainResolver

        return ChainResolver(self.sessions, self.events, self.source_index, trakt, tmdb)

    @contextmanager
    def sync_deps(self) -> Iterator[SyncDeps]:
        """Everything one sync run needs; its clients are closed afterwards."""
        from anitrakt.usecases.sync.report import SyncDeps

        with ExitStack() as stack:
            anilist = stack.enter_context(self.anilist())
            trakt = stack.enter_context(self.trakt())
            tmdb = stack.enter_context(self.tmdb())
            covers = None
            if self.cover_cache.enabled:
                from anitrakt.clients.covers import CoverClient
                from anitrakt.usecases.covers import CoverKeeper

                client = stack.enter_context(
                    CoverClient.from_settings(
                        self.settings,
                        clock=self.clock,
                        transport=self.transport,
                        observer=self.metrics,
                    )
                )
                covers = CoverKeeper(client, self.cover_cache)
            deps = SyncDeps(
                sessions=self.sessions,
                events=self.events,
                anilist=anilist,
                trakt=trakt,
                resolver=self.resolver(trakt, tmdb),
                now=self.now,
                stop=self.stop,
                on_finished=self._run_finished,
                sources=self.source_index,
                extras=self.settings.extras,
                completed_watched_at=self.settings.completed_watched_at,
                covers=covers,
            )
            # Rate-limit waits reach the run's progress and the log (`SyncDeps.waited`).
            anilist.watch_waits(lambda s, why: deps.waited("AniList", s, why))
            trakt.watch_waits(lambda s, why: deps.waited("Trakt", s, why))
            yield deps

    def _run_finished(self, report: SyncReport) -> None:
        """What a run's end tells this process: the metrics and the notifier."""
        try:
            self.metrics.run_finished(report)
            self.notifier.sync_finished(report)
        except Exception as exc:  # the run is over and recorded; its report must get back
            logger.warning("reporting a finished run failed: %s", type(exc).__name__)
