"""Fribb's `anime-list-full.json`: validate the download and normalise each entry.

Two shapes exist in the wild and both load, even mixed in one file:

* the older flat one — `thetvdb_id`, a scalar `themoviedb_id` (a TMDB *movie* id: the
  list only carried TMDB ids for movies; sometimes "1,2" text) and a scalar `imdb_id`;
* the current one — `tvdb_id`, `themoviedb_id: {tv: N}` or `{movie: [N…]}`,
  `imdb_id: [..]`, `season: {tvdb, tmdb}` and `episode_offset: {tvdb, tmdb}`.

Season and offset each prefer the `tmdb` value, then `tvdb`: Trakt numbers seasons
the way TMDB does. Entries without a usable `anilist_id` are skipped (most of the list
is other databases' entries). Anything that is not a JSON list of objects — an HTML
error page, a truncated download, an empty list, a list without a single AniList id —
is rejected with a `MappingSourceError` naming the reason; the work is bounded by the
download cap and `MAX_ENTRIES`.
"""

from __future__ import annotations

import json
from typing import Any

from anitrakt.domain.mapping_source import ParsedSource, SourceEntry, TmdbKind
from anitrakt.domain.values import SourceName
from anitrakt.errors import MappingSourceError
from anitrakt.mappings import values

# The real list has ~40k entries; ten times that is not a list we know.
MAX_ENTRIES = 500_000
_BOM = b"\xef\xbb\xbf"
# Keys only one of the two shapes uses, to report which shape a file had.
_CURRENT_ONLY = ("tvdb_id", "season", "episode_offset")
_FLAT_ONLY = ("thetvdb_id",)


def _fail(reason: str) -> MappingSourceError:
    return MappingSourceError(SourceName.FRIBB.label, reason)


def _decode(data: bytes) -> Any:
    head = data[:64].removeprefix(_BOM).lstrip()
    if not head:
        raise _fail("the download is empty")
    if head.startswith(b"<"):
        raise _fail("got an HTML/XML page instead of the JSON list")
    try:
        return json.loads(data)
    except RecursionError:
        raise _fail("the JSON is nested too deeply to be the anime list") from None
    except UnicodeDecodeError:
        raise _fail("the download is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        # A cut-off download fails at its very end, or inside a string never closed.
        if exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise _fail(
                f"the JSON is truncated (it stops at byte {len(data)} before the list is closed)"
            ) from None
        raise _fail(
            f"the download is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def _tmdb(raw: Any, media_type: str | None) -> tuple[int | None, TmdbKind | None]:
    if isinstance(raw, dict):
        tv = values.positive_id(raw.get("tv"))
        movie = values.positive_id(raw.get("movie"))
        if movie is not None and (tv is None or media_type == "MOVIE"):
            return movie, TmdbKind.MOVIE
        if tv is not None:
            return tv, TmdbKind.TV
        return None, None
    movie = values.positive_id(raw)
    return (movie, TmdbKind.MOVIE) if movie is not None else (None, None)


def _preferred(raw: Any, read: Any) -> int | None:
    """The `tmdb` value of a `{tvdb, tmdb}` object when usable, else the `tvdb` one."""
    if not isinstance(raw, dict):
        return None
    value: int | None = read(raw.get("tmdb"))
    return value if value is not None else read(raw.get("tvdb"))


def parse_entry(raw: dict[str, Any], anilist_id: int) -> SourceEntry:
    """Normalise one list entry (either shape) for `anilist_id`."""
    media_type = values.media_type(raw.get("type"))
    tvdb = values.positive_id(raw.get("tvdb_id"))
    if tvdb is None:
        tvdb = values.positive_id(raw.get("thetvdb_id"))
    tmdb_id, tmdb_kind = _tmdb(raw.get("themoviedb_id"), media_type)
    return SourceEntry(
        anilist_id=anilist_id,
        tvdb_id=tvdb,
        tmdb_id=tmdb_id,
        tmdb_kind=tmdb_kind,
        imdb_id=values.imdb_id(raw.get("imdb_id")),
        mal_id=values.positive_id(raw.get("mal_id")),
        anidb_id=values.positive_id(raw.get("anidb_id")),
        media_type=media_type,
        season=_preferred(raw.get("season"), values.season_number),
        episode_offset=_preferred(raw.get("episode_offset"), values.episode_offset),
    )


def _shape_of(raw: dict[str, Any]) -> tuple[bool, bool]:
    """(looks current, looks flat) for one entry."""
    tmdb = raw.get("themoviedb_id")
    imdb = raw.get("imdb_id")
    current = any(key in raw for key in _CURRENT_ONLY) or isinstance(tmdb, dict)
    current = current or isinstance(imdb, list)
    flat = any(key in raw for key in _FLAT_ONLY) or isinstance(tmdb, int | str)
    flat = flat or isinstance(imdb, str)
    return current, flat


def _shape_name(current: int, flat: int) -> str:
    if current and flat:
        return "mixed"
    if flat:
        return "flat"
    return "current"


def parse_fribb(data: bytes, *, max_entries: int = MAX_ENTRIES) -> ParsedSource:
    """Validate a downloaded Fribb list and normalise its AniList entries."""
    document = _decode(data)
    if not isinstance(document, list):
        raise _fail(f"expected a JSON list of entries, got a JSON {type(document).__name__}")
    if not document:
        raise _fail("the list is empty")
    if len(document) > max_entries:
        raise _fail(f"the list has {len(document)} entries, more than the {max_entries} allowed")
    entries: dict[int, SourceEntry] = {}
    skipped = current = flat = 0
    for raw in document:
        if not isinstance(raw, dict):
            skipped += 1
            continue
        anilist_id = values.positive_id(raw.get("anilist_id"))
        if anilist_id is None:
            skipped += 1
            continue
        if anilist_id in entries:  # the first entry for an id wins, as upstream lists it
            skipped += 1
            continue
        looks_current, looks_flat = _shape_of(raw)
        current += looks_current
        flat += looks_flat
        entries[anilist_id] = parse_entry(raw, anilist_id)
    if not entries:
        raise _fail(f"none of the {len(document)} entries has an anilist_id")
    return ParsedSource(
        entries=tuple(entries.values()), shape=_shape_name(current, flat), skipped=skipped
    )
