"""What the features beyond history share within one run (docs/beyond-history.md).

`Extras` holds what every feature reads once per run — the whole AniList list, the
resolutions of its entries, the Trakt account's settings — and the helpers they share:
batches, the stop flag, and the account caps (with what a 420 taught).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from anitrakt.domain.anilist import AniListLibrary, Media
from anitrakt.domain.extras import Extra
from anitrakt.domain.ids import lenient_int
from anitrakt.domain.lists import DROPPED, PLANNING, WATCHING
from anitrakt.domain.planning import Target
from anitrakt.domain.targets import build_targets, is_movie
from anitrakt.domain.trakt import TraktUser
from anitrakt.domain.trakt_lists import ItemRef
from anitrakt.domain.values import IdMapping, Resolution, TraktType, Unresolved
from anitrakt.errors import AccountLimit
from anitrakt.store.extras import load_feature_statuses
from anitrakt.store.mappings import get_mapping_values
from anitrakt.store.overrides import get_overrides_for_shows
from anitrakt.usecases.sync.facts import load_placement_facts
from anitrakt.usecases.sync.report import FeatureReport, SyncDeps
from anitrakt.usecases.sync.shows import load_episode_lists

# Items per list or ratings post (the same bound as history posts: small bodies, few posts).
BATCH_SIZE = 100

T = TypeVar("T")


@dataclass
class Extras:
    """What every feature of one run reads once: the list, its resolutions, the account."""

    deps: SyncDeps
    dry_run: bool
    library: AniListLibrary
    media: dict[int, Media]
    resolutions: dict[int, Resolution] = field(default_factory=dict)
    # Entries whose first watch in this run's window is not on Trakt yet: their rewatches
    # wait, or the first watch would then look done and never be posted.
    held: frozenset[int] = frozenset()
    _user: TraktUser | None = None

    @property
    def save(self) -> bool:
        return not self.dry_run

    def user(self) -> TraktUser:
        """The Trakt account's settings (limits, VIP), read once per run."""
        if self._user is None:
            self._user = self.deps.trakt.user_settings()
        return self._user

    def resolve(self, anilist_ids: Iterable[int]) -> dict[int, Resolution]:
        """Resolutions of `anilist_ids`, each resolved once per run."""
        wanted = set(anilist_ids)
        missing = [self.media.get(i) or Media(i) for i in sorted(wanted - set(self.resolutions))]
        if missing:
            self.resolutions.update(self.deps.resolver.resolve_many(missing, save=self.save))
        return {i: self.resolutions[i] for i in wanted}

    def item_of(self, anilist_id: int) -> ItemRef | str:
        """The Trakt show or movie an entry resolved to, or why there is none."""
        resolution = self.resolve([anilist_id])[anilist_id]
        if not isinstance(resolution, IdMapping) or resolution.trakt_id is None:
            return getattr(resolution, "reason", "no Trakt id")
        movie = is_movie(resolution, self.media.get(anilist_id))
        return ItemRef(TraktType.MOVIE if movie else TraktType.SHOW, resolution.trakt_id)

    def targets(self, anilist_ids: Iterable[int]) -> dict[int, Target]:
        """Each entry's Trakt target with all placement needs (as the engine builds them)."""
        resolutions = self.resolve(anilist_ids)
        shows = {
            r.trakt_id
            for a, r in resolutions.items()
            if isinstance(r, IdMapping)
            and r.trakt_id is not None
            and not is_movie(r, self.media.get(a))
        }
        deps = self.deps
        with deps.sessions() as session:
            overrides = get_overrides_for_shows(session, shows)
        lists, _ = load_episode_lists(
            deps.sessions, deps.trakt, shows, now=deps.now(), save=self.save
        )
        facts = load_placement_facts(deps, self.media, resolutions)
        return build_targets(self.media, resolutions, lists, overrides, facts)

    def stored_items(self) -> dict[int, ItemRef]:
        """The Trakt item of every entry of the list that this run resolved, or that has a
        stored mapping (one query; nothing is searched)."""
        ids = [e.media.id for e in self.library.entries]
        found: dict[int, Resolution] = {
            i: self.resolutions[i] for i in ids if i in self.resolutions
        }
        with self.deps.sessions() as session:
            found.update(get_mapping_values(session, [i for i in ids if i not in found]))
        items = {}
        for anilist_id, resolution in found.items():
            if isinstance(resolution, IdMapping) and resolution.trakt_id is not None:
                movie = is_movie(resolution, self.media.get(anilist_id))
                kind = TraktType.MOVIE if movie else TraktType.SHOW
                items[anilist_id] = ItemRef(kind, resolution.trakt_id)
        return items

    def retry(self, anilist_id: int) -> bool:
        """Whether an entry's miss may clear by itself (see `Unresolved.retry`)."""
        found = self.resolutions.get(anilist_id)
        return isinstance(found, Unresolved) and found.retry


def needed(library: AniListLibrary, features: Iterable[Extra]) -> set[int]:
    """The entries the features must resolve up front (rewatches resolve their own).

    Ratings need the scored entries; for which other entries map to the same show they
    read stored mappings only (`stored_items`), so an unscored entry is never searched.
    """
    chosen = set(features)
    statuses: set[str] = set()
    if Extra.WATCHLIST in chosen:
        statuses |= {PLANNING, *WATCHING}
    if Extra.DROPPED in chosen:
        statuses |= {DROPPED, *WATCHING}
    return {
        e.media.id
        for e in library.entries
        if e.status in statuses or (Extra.RATINGS in chosen and e.score > 0)
    }


def effective_limit(deps: SyncDeps, part: FeatureReport, settings_limit: int) -> int:
    """The cap to plan with: the account's, or lower when Trakt enforced less with a 420.

    A cap learned from a 420 (its `X-Account-Limit`) holds while the account's settings
    still name the cap they named then, so one refusal is never met again run after run;
    it is forgotten once they change (e.g. the account became VIP).
    """
    part.settings_limit = settings_limit
    with deps.sessions() as session:
        status = load_feature_statuses(session).get(part.feature, {})
    learned = status.get("learnedLimit")
    if isinstance(learned, int) and status.get("settingsLimit") == settings_limit:
        part.learned_limit = learned
        return min(learned, settings_limit)
    return settings_limit


def learn_limit(part: FeatureReport, error: AccountLimit) -> None:
    """Keep the cap a 420 named for the next runs (see `effective_limit`)."""
    limit = lenient_int(error.limit)
    if limit is not None and limit >= 0:
        part.learned_limit = limit


def batches(items: Sequence[T], size: int = BATCH_SIZE) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def stopping(deps: SyncDeps) -> bool:
    return deps.stop is not None and deps.stop.is_set()
