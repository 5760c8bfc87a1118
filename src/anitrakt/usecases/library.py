"""The library: every entry of the AniList list, its mapping, progress and state, and why.

One read of the whole AniList list (the same query the features beyond history use),
joined with what anitrakt stored: the mapping (manual or automatic, else what a mapping
source says), `last_abs`, the entries held for review and those unmapped in recent
runs. The detail of one entry reuses the list read for `DETAIL_REUSES_LIST_SECONDS`
(the page opens it right after the list, and again after each fix: AniList allows 30
requests a minute), and adds `usecases.explain`'s placement of
every episode (the rule that places it) and the show's episode overrides.

States, first that applies: `needs review` (episodes held, docs/placement.md),
`unmapped` (no Trakt id known and no source knows the entry, or the last run could
not map it), `pending` (AniList progress past the last synced episode: the next sync
posts it, or Trakt does not list the episodes yet), `ok`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from anitrakt.clients.anilist import account_fingerprint
from anitrakt.domain.anilist import MediaListEntry
from anitrakt.domain.ids import parse_anilist_id
from anitrakt.domain.values import IdMapping
from anitrakt.errors import InputError, NotFoundError
from anitrakt.store.mappings import get_mapping_values
from anitrakt.store.overrides import get_overrides_for_shows
from anitrakt.store.progress import get_progress_many
from anitrakt.store.review import load_review
from anitrakt.store.unmapped import load_unmapped
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.explain import Explanation, explain
from anitrakt.usecases.stats import remember_states
from anitrakt.usecases.sync.modes import anilist_user

OK, PENDING, REVIEW, UNMAPPED = "ok", "pending", "needs review", "unmapped"
STATES = (OK, PENDING, REVIEW, UNMAPPED)
MAX_QUERY = 200
DETAIL_REUSES_LIST_SECONDS = 300.0


class ListSnapshot:
    """The last AniList list read, by account, for the details that follow it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: tuple[str, float, tuple[MediaListEntry, ...]] | None = None

    def keep(self, account: str, at: float, entries: tuple[MediaListEntry, ...]) -> None:
        with self._lock:
            self._kept = (account, at, entries)

    def recent(self, account: str, now: float) -> tuple[MediaListEntry, ...] | None:
        with self._lock:
            kept = self._kept
        if (
            kept is None
            or kept[0] != account
            or not 0 <= now - kept[1] <= DETAIL_REUSES_LIST_SECONDS
        ):
            return None
        return kept[2]


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One list entry as the library shows it."""

    anilist_id: int
    title: str
    title_romaji: str | None
    status: str
    progress: int
    episodes: int | None
    last_abs: int
    state: str
    why: str
    # "manual" or "automatic" (a stored mapping), "fribb"/"otaku" (a source knows the
    # entry; the next sync resolves it), or None.
    mapping_source: str | None = None
    trakt_id: int | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    season: int | None = None
    offset: int | None = None

    @property
    def anilist_url(self) -> str:
        return f"https://anilist.co/anime/{self.anilist_id}"

    @property
    def trakt_url(self) -> str | None:
        return f"https://trakt.tv/shows/{self.trakt_id}" if self.trakt_id else None


@dataclass(frozen=True, slots=True)
class LibraryDetail:
    entry: LibraryEntry
    explanation: Explanation
    # The show's episode overrides: (show-absolute episode, season, episode).
    overrides: list[tuple[int, int, int]] = field(default_factory=list)


def parse_state(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    wanted = value.replace("-", " ").replace("_", " ").strip().lower()
    if wanted not in STATES:
        names = ", ".join(STATES)
        raise InputError(f"state must be one of {names}, not {value!r}", field="state")
    return wanted


@dataclass(frozen=True, slots=True)
class LibraryView:
    """The entries shown (by title) and how many of the whole list are in each state."""

    entries: list[LibraryEntry]
    counts: dict[str, int]


def library(runtime: Runtime, *, state: str | None = None, query: str | None = None) -> LibraryView:
    """Every list entry (by title), optionally only one `state` and titles with `query`."""
    wanted = parse_state(state)
    text = (query or "").strip().lower()
    if len(text) > MAX_QUERY:
        raise InputError(f"the search is longer than {MAX_QUERY} characters", field="q")
    entries = _entries(runtime)
    counts = {name: sum(1 for e in entries if e.state == name) for name in STATES}
    with runtime.sessions.begin() as session:  # the dashboard's share chart
        remember_states(session, counts, runtime.now())
    shown = [
        e
        for e in entries
        if (wanted is None or e.state == wanted)
        and (not text or text in e.title.lower() or text in (e.title_romaji or "").lower())
    ]
    return LibraryView(shown, counts)


def library_entry(runtime: Runtime, anilist_id: Any) -> LibraryDetail:
    """One entry: its library row, where each episode lands and why, its overrides."""
    anilist_id = parse_anilist_id(anilist_id)
    found = [e for e in _entries(runtime, reuse=True) if e.anilist_id == anilist_id]
    if not found:  # added on AniList since the list was read?
        found = [e for e in _entries(runtime) if e.anilist_id == anilist_id]
    if not found:
        raise NotFoundError(f"AniList {anilist_id} is not on the AniList list", field="anilistId")
    entry = found[0]
    count = entry.episodes or max(entry.progress, 1)
    explanation = explain(runtime, anilist_id, count)
    overrides: list[tuple[int, int, int]] = []
    if explanation.trakt_id is not None:
        with runtime.sessions() as session:
            show = get_overrides_for_shows(session, [explanation.trakt_id]).get(
                explanation.trakt_id, {}
            )
        overrides = sorted((abs_, s, e) for abs_, (s, e) in show.items())
        if entry.trakt_id is None:
            entry = replace(entry, trakt_id=explanation.trakt_id)
    return LibraryDetail(entry, explanation, overrides)


def _entries(runtime: Runtime, *, reuse: bool = False) -> list[LibraryEntry]:
    """The rows of the whole list; `reuse`: a list read a few minutes old will do."""
    now = runtime.clock.monotonic()
    account = account_fingerprint(runtime.settings)
    listed = runtime.library_snapshot.recent(account, now) if reuse else None
    if listed is None:
        with runtime.sync_deps() as deps:
            user = anilist_user(deps)
            listed = deps.anilist.library(user.id).entries
        runtime.library_snapshot.keep(account, now, listed)
        runtime.cover_filler.submit(e.media for e in listed)
    ids = [e.media.id for e in listed]
    with runtime.sessions() as session:
        mappings = get_mapping_values(session, ids)
        progress = get_progress_many(session, ids)
        review = load_review(session)
        unmapped = load_unmapped(session)
    hits = runtime.source_index.lookup_many(ids)
    rows = []
    for item in listed:
        anilist_id = item.media.id
        mapping = mappings.get(anilist_id)
        row = _row(item, mapping, progress.get(anilist_id, 0))
        if anilist_id in review:
            held = review[anilist_id]
            row = _state(row, REVIEW, f"episodes {held.episodes_text} held: {held.reason}")
        elif anilist_id in unmapped and (mapping is None or mapping.trakt_id is None):
            row = _state(row, UNMAPPED, unmapped[anilist_id].reason or "could not be mapped")
        elif mapping is None or mapping.trakt_id is None:
            hit = hits.get(anilist_id)
            if hit is None:
                row = _state(
                    row,
                    UNMAPPED,
                    "no mapping and no mapping source knows it: map it by hand",
                )
            else:
                source = "fribb" if hit.fribb is not None else "otaku"
                known = hit.fribb or hit.otaku
                assert known is not None
                row = _with_source(row, source, known.tmdb_id, known.tvdb_id, known.imdb_id)
        rows.append(row)
    return sorted(rows, key=lambda e: (e.title.lower(), e.anilist_id))


def _watched(item: MediaListEntry) -> int:
    """Episodes AniList counts as watched (a completed entry at 0 counts them all)."""
    if item.status == "COMPLETED" and item.progress == 0:
        return item.media.episodes or 0
    return item.progress


def _row(item: MediaListEntry, mapping: IdMapping | None, last_abs: int) -> LibraryEntry:
    watched = _watched(item)
    if watched > last_abs:
        first = last_abs + 1
        span = f"episode {first}" if first == watched else f"episodes {first}–{watched}"
        state, why = PENDING, f"{span} not synced yet (the next sync posts them, once on Trakt)"
    else:
        state = OK
        why = f"synced through episode {last_abs}" if last_abs else "nothing watched to sync"
    media = item.media
    kind = None
    if mapping is not None and mapping.trakt_id is not None:
        kind = "manual" if mapping.manual else "automatic"
    return LibraryEntry(
        anilist_id=media.id,
        title=media.title,
        title_romaji=media.title_romaji,
        status=item.status,
        progress=watched,
        episodes=media.episodes,
        last_abs=last_abs,
        state=state,
        why=why,
        mapping_source=kind,
        trakt_id=mapping.trakt_id if mapping else None,
        tmdb_id=mapping.tmdb_id if mapping else None,
        tvdb_id=mapping.tvdb_id if mapping else None,
        imdb_id=mapping.imdb_id if mapping else None,
        season=mapping.trakt_season if mapping else None,
        offset=mapping.episode_offset if mapping else None,
    )


def _state(row: LibraryEntry, state: str, why: str) -> LibraryEntry:
    return replace(row, state=state, why=why)


def _with_source(
    row: LibraryEntry, source: str, tmdb: int | None, tvdb: int | None, imdb: str | None
) -> LibraryEntry:
    from dataclasses import replace

    return replace(row, mapping_source=source, tmdb_id=tmdb, tvdb_id=tvdb, imdb_id=imdb)
