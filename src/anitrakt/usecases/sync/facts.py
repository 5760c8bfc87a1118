"""Gather what placement needs beyond the mapping rows, for one run (docs/placement.md).

For the shows a run places: each entry's anibridge lines (`anibridge_ranges`), the
Fribb/Otaku season hint the loaded sources give now, AniList's air dates for the
entries the dates can settle, and — for the claims — every other entry known on the
same Trakt show: stored mappings to it and anibridge lines naming its TMDB show or
TVDB series. Everything is read in a handful of queries; AniList is asked once per 50
entries, and a failure there only means placing without dates (logged).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from anitrakt.domain.airdates import Airing
from anitrakt.domain.anibridge import EntryRanges, Provider, stored_entry
from anitrakt.domain.anilist import Media
from anitrakt.domain.placement import EntryFacts
from anitrakt.domain.targets import PlacementFacts, entry_facts, is_movie
from anitrakt.domain.values import IdMapping, Resolution, SeasonHint
from anitrakt.errors import UpstreamError
from anitrakt.store.anibridge import ranges_for, ranges_on_shows
from anitrakt.store.mappings import mappings_on_shows
from anitrakt.usecases.sync.report import SyncDeps


def show_mappings(
    media: Mapping[int, Media], resolutions: Mapping[int, Resolution]
) -> dict[int, IdMapping]:
    """The resolved entries that are shows on Trakt, by AniList id."""
    return {
        anilist_id: r
        for anilist_id, r in resolutions.items()
        if isinstance(r, IdMapping)
        and r.trakt_id is not None
        and not is_movie(r, media.get(anilist_id))
    }


def load_placement_facts(
    deps: SyncDeps,
    media: Mapping[int, Media],
    resolutions: Mapping[int, Resolution],
    *,
    airing: Mapping[int, Airing] | None = None,
    dates_for: Iterable[int] | None = None,
) -> PlacementFacts:
    """Ranges, current hints, air dates and neighbours for the run's show entries.

    `airing`: dates the caller already has (then AniList is not asked). `dates_for`:
    the only entries worth asking dates for — those with episodes still to place (an
    entry whose episodes are all recorded as posted needs none).
    """
    shows = show_mappings(media, resolutions)
    if not shows:
        return PlacementFacts()
    tmdb_ids = {m.tmdb_id for m in shows.values() if m.tmdb_id is not None}
    tvdb_ids = {m.tvdb_id for m in shows.values() if m.tvdb_id is not None}
    trakt_ids = {m.trakt_id for m in shows.values() if m.trakt_id is not None}
    with deps.sessions() as session:
        own_text = ranges_for(session, shows)
        nearby_text = ranges_on_shows(session, tmdb_ids, tvdb_ids)
        stored = mappings_on_shows(session, trakt_ids)
    ranges = _parsed({**nearby_text, **own_text})
    hints = _current_hints(deps, set(shows) | set(stored))
    base = PlacementFacts(source_hints=hints, ranges=ranges)
    if airing is not None:
        dates = dict(airing)
    else:
        asked = shows if dates_for is None else {a: shows[a] for a in set(dates_for) & set(shows)}
        dates = _airing(deps, asked, base)
    neighbours = _neighbours(shows, stored, ranges, base)
    return PlacementFacts(hints, ranges, dates, neighbours)


def _parsed(texts: Mapping[int, str]) -> dict[int, EntryRanges]:
    found = {}
    for anilist_id, text in texts.items():
        entry = stored_entry(anilist_id, text)
        if entry is not None:
            found[anilist_id] = entry
    return found


def _current_hints(deps: SyncDeps, anilist_ids: Iterable[int]) -> dict[int, SeasonHint | None]:
    """The hint each entry the loaded sources know gives now (None: known, no season)."""
    if deps.sources is None:
        return {}
    hits = deps.sources.lookup_many(anilist_ids)
    return {anilist_id: hit.season_hint() for anilist_id, hit in hits.items()}


def _needs_dates(anilist_id: int, mapping: IdMapping, facts: PlacementFacts) -> bool:
    """Whether air dates may decide or check this entry's placement.

    A manual hint and anibridge lines place without them; everything else — a
    Fribb/Otaku hint to check, or nothing but absolute counting — is weighed by dates.
    """
    entry = entry_facts(anilist_id, mapping, facts)
    return entry.manual_hint is None and entry.ranges is None


def dates_wanted(
    media: Mapping[int, Media],
    resolutions: Mapping[int, Resolution],
    facts: PlacementFacts,
    dates_for: Iterable[int],
) -> list[int]:
    """The entries `load_placement_facts(dates_for=…)` would ask AniList dates for.

    For a caller that reads them itself, a few at a time (`read_airing`), with facts
    loaded with `airing={}`.
    """
    shows = show_mappings(media, resolutions)
    asked = set(dates_for)
    return [a for a, m in shows.items() if a in asked and _needs_dates(a, m, facts)]


def _airing(
    deps: SyncDeps, shows: Mapping[int, IdMapping], facts: PlacementFacts
) -> dict[int, Airing]:
    return read_airing(deps, [a for a, m in shows.items() if _needs_dates(a, m, facts)])


def read_airing(deps: SyncDeps, wanted: Sequence[int]) -> dict[int, Airing]:
    """AniList's air dates of `wanted` (one request per 50); none, logged, if it fails."""
    if not wanted:
        return {}
    try:
        details = deps.anilist.media_details(wanted)
    except UpstreamError as exc:
        deps.events.warn(
            f"AniList air dates unavailable ({exc.message}); placing {len(wanted)} "
            "entries without checking their hints against air dates"
        )
        return {}
    return {anilist_id: d.airing for anilist_id, d in details.items() if d.airing.has_dates}


def _neighbours(
    shows: Mapping[int, IdMapping],
    stored: Mapping[int, IdMapping],
    ranges: Mapping[int, EntryRanges],
    facts: PlacementFacts,
) -> dict[int, list[tuple[EntryFacts, int | None]]]:
    """Per Trakt show, the entries outside this run that claim its episodes.

    Stored mappings to the show give their hints (and lines); anibridge lines naming
    the show's TMDB/TVDB ids count even without a mapping (the claims keep only
    lines for this very show). Their episode counts are unknown here: a hint then
    claims its first episode, which is what stops an overflow into a sequel.
    """
    by_show: dict[int, list[tuple[EntryFacts, int | None]]] = defaultdict(list)
    trakt_of_tmdb: dict[int, set[int]] = defaultdict(set)
    trakt_of_tvdb: dict[int, set[int]] = defaultdict(set)
    for mapping in shows.values():
        assert mapping.trakt_id is not None
        if mapping.tmdb_id is not None:
            trakt_of_tmdb[mapping.tmdb_id].add(mapping.trakt_id)
        if mapping.tvdb_id is not None:
            trakt_of_tvdb[mapping.tvdb_id].add(mapping.trakt_id)
    for anilist_id, mapping in stored.items():
        if anilist_id not in shows and mapping.trakt_id is not None:
            by_show[mapping.trakt_id].append((entry_facts(anilist_id, mapping, facts), None))
    for anilist_id, entry in ranges.items():
        if anilist_id in shows or anilist_id in stored:
            continue
        on: set[int] = set()
        for target in entry.targets:
            key_id = target.key.numeric_id
            if key_id is not None and target.key.provider is Provider.TMDB_SHOW:
                on |= trakt_of_tmdb.get(key_id, set())
            elif key_id is not None and target.key.provider is Provider.TVDB_SHOW:
                on |= trakt_of_tvdb.get(key_id, set())
        for trakt_id in on:
            by_show[trakt_id].append((EntryFacts(anilist_id, ranges=entry), None))
    return by_show
