"""AniList id → Trakt id (docs/resolution.md): the resolution chain the sync calls.

`Resolver.resolve_many` answers every id of a batch with an `IdMapping` or
`Unresolved(reason)`. `ChainResolver` tries, in order, stopping at the first hit:

1. a `mappings` row with a Trakt id — read for the whole batch in ONE query; manual
   rows win because nothing automatic ever overwrites them (`store.mappings`);
2. the Otaku entry's `trakt_id`;
3. Fribb's ids merged with Otaku's (`domain.resolution.candidate`);
4. TMDB external ids of the TMDB id, when `TMDB_API_KEY` is set, to learn IMDb/TVDB ids;
5. Trakt `/search/{tmdb|imdb|tvdb}/{id}?type=show|movie`, in that order.

Only ids without a stored Trakt id reach steps 2–5, and steps 2–3 are dict lookups in
the shared source index, so a batch of already-mapped ids costs one SQL query and no
upstream request. A hit from 2–5 is saved as an `auto` mapping (all of them in one
transaction at the end; none in a dry run). A miss is logged once per call.

An upstream failure never aborts the batch: the id it hit is reported unmapped with the
reason. When Trakt (or TMDB) is down or rate limiting — every further request would
spend minutes in bounded retries — the rest of the batch skips that upstream and says
so. Only account-level failures (`AuthExpired`, `AccountLimit`, `ConfigError`, and
refusals such as a deleted Trakt app) propagate, since no later id could succeed either
and the person must act.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.tmdb import TMDBClient
from anitrakt.clients.trakt import TraktClient
from anitrakt.domain.anilist import Media
from anitrakt.domain.resolution import (
    MAP_BY_HAND,
    NO_IDS,
    NO_SOURCE_ENTRY,
    NO_TRAKT_MATCH,
    SOURCES_NOT_LOADED,
    TMDB_KIND_OF,
    Candidate,
    KnownIds,
    candidate,
)
from anitrakt.domain.values import IdMapping, Resolution, TraktType, Unresolved
from anitrakt.errors import (
    AccountLimit,
    AuthExpired,
    RateLimited,
    UpstreamError,
    UpstreamRefused,
    UpstreamRejected,
    UpstreamUnavailable,
)
from anitrakt.store.mappings import (
    get_mapping_values,
    save_mappings,
)
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.sources.index import SharedSourceIndex

# Failures after which no later request to the same upstream can be expected to succeed
# within this call: down, rate limited, or refusing our credentials.
_ACCOUNT_ERRORS = (AuthExpired, AccountLimit, UpstreamRefused)
_REFUSED_STATUSES = frozenset({401, 403})


class Resolver(Protocol):
    def resolve_many(self, media: Sequence[Media], *, save: bool = True) -> dict[int, Resolution]:
        """A resolution for every media id; `save=False` (dry run) stores nothing."""
        ...


def _stored_ids(stored: IdMapping | None) -> KnownIds | None:
    """The external ids of a stored row that has no Trakt id (yet): worth searching by."""
    if stored is None:
        return None
    return KnownIds(tmdb_id=stored.tmdb_id, imdb_id=stored.imdb_id, tvdb_id=stored.tvdb_id)


def _is_outage(exc: UpstreamError) -> bool:
    """True when every later request to that upstream in this call would fail the same way."""
    if isinstance(exc, UpstreamUnavailable | RateLimited):
        return True
    return isinstance(exc, UpstreamRejected) and exc.status in _REFUSED_STATUSES


class _Call:
    """One `resolve_many` call's upstream steps (4–5), with its own outage breakers."""

    def __init__(self, trakt: TraktClient, tmdb: TMDBClient | None, events: EventLog) -> None:
        self._trakt = trakt
        self._tmdb = tmdb if tmdb is not None and tmdb.enabled else None
        self._events = events
        self.trakt_outage: str | None = None
        self.tmdb_outage: str | None = None

    def resolve(self, found: Candidate, *, sources_loaded: bool = True) -> Resolution:
        if not found.in_sources and found.ids.empty:
            if sources_loaded:
                return Unresolved(found.anilist_id, NO_SOURCE_ENTRY)
            return Unresolved(found.anilist_id, SOURCES_NOT_LOADED, retry=True)
        if found.otaku_trakt_id is not None:
            return found.mapping(found.otaku_trakt_id)
        if found.ids.empty:
            return Unresolved(found.anilist_id, NO_IDS)
        return self._search_trakt(self._learn_from_tmdb(found))

    def _learn_from_tmdb(self, found: Candidate) -> Candidate:
        """Step 4: fill missing IMDb/TVDB ids from TMDB (an outage only skips the step)."""
        ids = found.ids
        missing = ids.imdb_id is None or (ids.tvdb_id is None and found.kind is TraktType.SHOW)
        if self._tmdb is None or self.tmdb_outage or ids.tmdb_id is None or not missing:
            return found
        kind = ids.tmdb_kind or TMDB_KIND_OF[found.kind]
        try:
            external = self._tmdb.external_ids(ids.tmdb_id, kind.value)
        except UpstreamError as exc:
            if _is_outage(exc):
                self.tmdb_outage = exc.message
                self._events.warn(
                    f"id resolution: TMDB lookups skipped for this run: {exc.message}"
                )
            return found
        if external is None:
            return found
        learned = KnownIds(imdb_id=external.imdb_id, tvdb_id=external.tvdb_id)
        return found.with_ids(ids.filled(learned))

    def _search_trakt(self, found: Candidate) -> Resolution:
        """Step 5: Trakt id searches by tmdb, imdb, tvdb; the first hit wins."""
        anilist_id = found.anilist_id
        if self.trakt_outage is not None:
            return Unresolved(
                anilist_id, f"Trakt search unavailable: {self.trakt_outage}", retry=True
            )
        searches = found.ids.searches(found.kind)
        for id_type, value in searches:
            try:
                results = self._trakt.search_by_id(id_type, value, found.kind)
            except _ACCOUNT_ERRORS:
                raise
            except UpstreamError as exc:
                outage = _is_outage(exc)
                if outage:
                    self.trakt_outage = exc.message
                    self._events.warn(
                        f"id resolution: Trakt search skipped for the rest of this run: "
                        f"{exc.message}"
                    )
                reason = f"Trakt search by {id_type} failed: {exc.message}"
                return Unresolved(anilist_id, reason, retry=outage)
            for result in results:
                trakt_ids = result.ids
                if trakt_ids.trakt is None:
                    continue
                from_trakt = KnownIds(
                    trakt_ids.tmdb, TMDB_KIND_OF[found.kind], trakt_ids.imdb, trakt_ids.tvdb
                )
                return found.mapping(trakt_ids.trakt, found.ids.filled(from_trakt))
        tried = ", ".join(f"{id_type} {value}" for id_type, value in searches)
        detail = f" for {tried}" if tried else f" (no {found.kind.value} ids to search by)"
        return Unresolved(anilist_id, f"{NO_TRAKT_MATCH}{detail}; {MAP_BY_HAND}")


class ChainResolver:
    """The full docs/resolution.md chain over the store, the shared source index, Trakt and TMDB."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        events: EventLog,
        source_index: SharedSourceIndex,
        trakt: TraktClient,
        tmdb: TMDBClient | None = None,
    ) -> None:
        self._sessions = sessions
        self._events = events
        self._index = source_index
        self._trakt = trakt
        self._tmdb = tmdb

    def resolve_many(self, media: Sequence[Media], *, save: bool = True) -> dict[int, Resolution]:
        wanted: dict[int, Media] = {}
        for item in media:
            wanted.setdefault(item.id, item)
        if not wanted:
            return {}
        with self._sessions() as session:
            rows = get_mapping_values(session, wanted)
        resolved: dict[int, Resolution] = {}
        pending: list[Media] = []
        for anilist_id, item in wanted.items():
            row = rows.get(anilist_id)
            if row is not None and row.trakt_id is not None:
                resolved[anilist_id] = row
            else:
                pending.append(item)
        if not pending:
            return resolved
        hits = self._index.lookup_many(item.id for item in pending)
        loaded = self._index.any_loaded()
        call = _Call(self._trakt, self._tmdb, self._events)
        found: list[IdMapping] = []
        try:
            for item in pending:
                stored = _stored_ids(rows.get(item.id))
                result = call.resolve(
                    candidate(item, hits.get(item.id), stored), sources_loaded=loaded
                )
                resolved[item.id] = result
                if isinstance(result, IdMapping):
                    found.append(result)
        finally:
            # Upstream answers are slow and rate limited: keep what was learned even
            # when an account-level error ends the call early.
            if save and found:
                resolved.update(self._save(found))
        self._report(wanted, resolved, found, save=save)
        return resolved

    def _save(self, found: Sequence[IdMapping]) -> dict[int, Resolution]:
        """Store the new auto mappings; a manual row written meanwhile wins and is returned.

        (A manual row without a Trakt id still stays as it is, but this run uses what
        the chain found rather than nothing.)
        """
        with self._sessions.begin() as session:
            written = save_mappings(session, found)
            lost = [mapping.anilist_id for mapping in found if mapping.anilist_id not in written]
            kept = get_mapping_values(session, lost) if lost else {}
            return {
                anilist_id: mapping
                for anilist_id, mapping in kept.items()
                if mapping.trakt_id is not None
            }

    def _report(
        self,
        wanted: dict[int, Media],
        resolved: dict[int, Resolution],
        found: Sequence[IdMapping],
        *,
        save: bool,
    ) -> None:
        """One log line per miss and one summary of new mappings, once per call."""
        for anilist_id, result in resolved.items():
            if isinstance(result, Unresolved):
                title = wanted[anilist_id].title
                self._events.warn(
                    f"id resolution: {title} (AniList {anilist_id}) unmapped: {result.reason}"
                )
        if found:
            kinds = Counter(m.trakt_type.value if m.trakt_type else "show" for m in found)
            what = ", ".join(f"{count} {kind}(s)" for kind, count in sorted(kinds.items()))
            verb = "saved" if save else "found (dry run, not saved)"
            self._events.info(f"id resolution: {verb} {len(found)} new auto mapping(s): {what}")
