"""The anibridge-mappings v3 release file (`mappings.min.json` / `mappings.json`), streamed.

The release is one JSON object of tens of megabytes: `$meta`, then one member per
source descriptor (`anilist:ID`, `mal:ID`, `tmdb_show:ID:sN`, …); `mappings.json.zst`
is the same bytes zstd-compressed (stream them through
`anitrakt.mappings.zstd.decompress_stream`). Only `anilist:` members matter to
anitrakt. `ReleaseReader` decodes the text chunk by chunk and reads the top-level
object one member at a time (`json.JSONDecoder.raw_decode` on a sliding buffer),
normalising each AniList member into a compact `AnibridgeRecord` and dropping the
parsed member at once: the whole tree is never in memory, only the current member and
whatever records the caller keeps.

What a record keeps: the normalised lines of the descriptors placement reads
(`tmdb_show`, `tvdb_show`, `tmdb_movie`; `AnibridgeRecord.ranges_json` is the text to
store), and the ids the entry names (TMDB show/movie, TVDB, IMDb, MAL, AniDB) so they
can join id resolution beside Fribb's (`AnibridgeRecord.source_entry`).

Leniency follows the other sources: a member with a bad key, a non-object value or a
repeated AniList id is skipped and counted; malformed descriptors, and malformed lines
of the descriptors placement reads, are skipped and counted (`ReleaseCounts`; the
other descriptors' lines are not read at all). The file as a whole is rejected
with a `MappingSourceError` when it is not this format — empty, an HTML page, not a
JSON object, invalid or truncated JSON, a single member over `MAX_MEMBER_CHARS`, or no
AniList member at all. Streaming means such an error can surface after records were
yielded: a caller writes them inside one transaction and rolls back on the error.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from anitrakt.domain.anibridge import (
    PLACEMENT_PROVIDERS,
    EntryRanges,
    ParseCounts,
    Provider,
    key_fields,
    parse_anilist_key,
    parse_entry,
    read_lines,
)
from anitrakt.domain.mapping_source import SourceEntry, TmdbKind
from anitrakt.domain.ranges import RangeLine
from anitrakt.errors import MappingSourceError

SOURCE_LABEL = "anibridge-mappings"
READ_CHUNK = 1024 * 1024
# The largest real member (One Piece) is a few kilobytes; past this it is not the format.
MAX_MEMBER_CHARS = 8 * 1024 * 1024
_SPACE = " \t\n\r"
_WHITESPACE = re.compile(r"[ \t\n\r]+")
_DECODER = json.JSONDecoder()
_scan_string = json.decoder.scanstring  # type: ignore[attr-defined]
# Enum members read once: attribute access on an Enum class costs a descriptor call, and
# the hot paths below run ~10^5 times per refresh.
_TMDB_SHOW = Provider.TMDB_SHOW
_MOVIE, _TV = TmdbKind.MOVIE, TmdbKind.TV


def _skip_whitespace(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return pos if match is None else match.end()


def _fail(reason: str) -> MappingSourceError:
    return MappingSourceError(SOURCE_LABEL, reason)


class AnibridgeRecord(NamedTuple):
    """What the release says about one AniList id, compactly.

    A named tuple rather than a dataclass: a refresh makes ~10^5 of them, and a tuple
    is both the cheapest immutable value to build and a row a bulk insert takes as is.
    `ranges_json` holds the normalised placement lines (`{descriptor: {source:
    target}}`, compact JSON); `specials_only` says every `tmdb_show` line targets
    season 0 (or there is none).
    """

    anilist_id: int
    ranges_json: str
    tmdb_show_id: int | None = None
    tmdb_movie_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    mal_id: int | None = None
    anidb_id: int | None = None
    specials_only: bool = True

    def entry_ranges(self) -> EntryRanges:
        """The placement lines, parsed (they were validated when the record was made)."""
        return parse_entry(self.anilist_id, json.loads(self.ranges_json), PLACEMENT_PROVIDERS)

    def source_entry(self) -> SourceEntry:
        """The ids as a mapping-source record, to resolve beside Fribb's and Otaku's.

        A TMDB movie id wins over a show id only when every show line is a special
        (season 0): then the entry is a film TMDB also files among a show's extras.
        """
        if self.tmdb_movie_id is not None and (self.specials_only or self.tmdb_show_id is None):
            tmdb_id, kind = self.tmdb_movie_id, _MOVIE
        elif self.tmdb_show_id is not None:
            tmdb_id, kind = self.tmdb_show_id, _TV
        else:
            tmdb_id, kind = None, None
        return SourceEntry(
            anilist_id=self.anilist_id,
            tvdb_id=self.tvdb_id,
            tmdb_id=tmdb_id,
            tmdb_kind=kind,
            imdb_id=self.imdb_id,
            mal_id=self.mal_id,
            anidb_id=self.anidb_id,
            media_type="MOVIE" if kind is _MOVIE else None,
        )


# Which id slot of a record (after anilist_id and ranges_json) a provider's first id fills.
_ID_SLOTS = {
    Provider.TMDB_SHOW: 0,
    Provider.TMDB_MOVIE: 1,
    Provider.TVDB_SHOW: 2,
    Provider.IMDB_MOVIE: 3,
    Provider.IMDB_SHOW: 3,
    Provider.MAL: 4,
    Provider.ANIDB: 5,
}


def record_of(anilist_id: int, raw: dict[str, Any], counts: ParseCounts) -> AnibridgeRecord | None:
    """Normalise one `anilist:ID` member; None when it names nothing usable.

    Only the lines of descriptors placement reads are parsed (and counted); the others
    give their ids.
    """
    ids: list[Any] = [None] * 6
    placement: list[str] = []
    specials_only = True
    named = False
    for key_text, lines_raw in raw.items():
        if key_text.startswith("$"):
            continue
        fields = key_fields(key_text)
        if fields is None or not isinstance(lines_raw, dict):
            counts.keys_skipped += 1
            continue
        named = True
        provider, key_id, season, _ = fields
        slot = _ID_SLOTS.get(provider)
        if slot is not None and ids[slot] is None:
            ids[slot] = key_id if slot == 3 else int(key_id)
        if provider in PLACEMENT_PROVIDERS:
            lines = read_lines(lines_raw, counts)
            # JSON by hand: descriptors and normalised lines are [a-z0-9_:|,-] only, so
            # they need no escaping, and this is several times cheaper than json.dumps.
            body = ",".join(f'"{source}":"{target}"' for source, target in _texts(lines))
            placement.append(f'"{key_text}":{{{body}}}')
            if provider is _TMDB_SHOW and season != 0:
                specials_only = False
    if not named:
        return None
    tmdb_show, tmdb_movie, tvdb, imdb, mal, anidb = ids
    ranges_json = "{" + ",".join(placement) + "}"
    return AnibridgeRecord(
        anilist_id, ranges_json, tmdb_show, tmdb_movie, tvdb, imdb, mal, anidb, specials_only
    )


def _texts(lines: tuple[RangeLine, ...]) -> Iterator[tuple[str, str]]:
    return (line.texts for line in lines)


@dataclass(slots=True)
class ReleaseCounts:
    """What one read of the release saw and skipped."""

    anilist_entries: int = 0
    other_members: int = 0
    entries_skipped: int = 0
    lines: ParseCounts = field(default_factory=ParseCounts)


@dataclass(frozen=True, slots=True)
class ReleaseMeta:
    """The release's `$meta`: when it was generated and its schema version, when given."""

    generated_on: str | None = None
    schema_version: str | None = None


Source = bytes | IO[bytes] | Iterable[bytes]


def _chunks(source: Source, chunk_size: int) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])
        return
    read = getattr(source, "read", None)
    if read is not None:
        while chunk := read(chunk_size):
            yield chunk
        return
    yield from source


class ReleaseReader:
    """Read a release member by member: iterate `records()`, then look at `meta`/`counts`."""

    def __init__(
        self,
        source: Source,
        *,
        chunk_size: int = READ_CHUNK,
        max_member_chars: int = MAX_MEMBER_CHARS,
    ) -> None:
        self._chunks = _chunks(source, chunk_size)
        self._max_member = max_member_chars
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self._started = False
        self.meta = ReleaseMeta()
        self.counts = ReleaseCounts()

    # -- buffer -------------------------------------------------------------------

    def _more(self) -> bool:
        """Append the next decoded chunk; False at the end of the input."""
        if self._eof:
            return False
        try:
            chunk = next(self._chunks, None)
            text = self._decoder.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError:
            raise _fail("the download is not UTF-8 text") from None
        if chunk is None:
            self._eof = True
        if not self._started:
            text = text.removeprefix("\ufeff")
            self._started = bool(text)
        self._buffer = self._buffer[self._pos :] + text
        self._pos = 0
        return True

    def _peek(self) -> str:
        """The next non-whitespace character ('' at the end of the input)."""
        while True:
            self._pos = _skip_whitespace(self._buffer, self._pos)
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._more():
                return ""

    def _next_member(self) -> tuple[str, Any, bool]:
        """The member at the cursor: (name, value, whether it closed the object).

        One member is decoded in one go (C scanners for the name and the value); when
        the buffer runs out anywhere inside it, the next chunk is appended and the
        member is read again from its start.
        """
        while True:
            buffer, pos = self._buffer, self._pos
            try:
                if buffer[pos] in _SPACE:
                    pos = _skip_whitespace(buffer, pos)
                if buffer[pos] != '"':
                    raise _fail("the download is not valid JSON (a member name is not a string)")
                name, pos = _scan_string(buffer, pos + 1)
                if buffer[pos] in _SPACE:
                    pos = _skip_whitespace(buffer, pos)
                if buffer[pos] != ":":
                    raise _fail(f"the download is not valid JSON (unexpected {buffer[pos]!r})")
                pos += 1
                if buffer[pos] in _SPACE:
                    pos = _skip_whitespace(buffer, pos)
                value, pos = _DECODER.raw_decode(buffer, pos)
                if buffer[pos] in _SPACE:
                    pos = _skip_whitespace(buffer, pos)
                separator = buffer[pos]
            except (IndexError, json.JSONDecodeError) as exc:
                if len(buffer) - self._pos > self._max_member:
                    too_big = f"one member is larger than {self._max_member} characters"
                    raise _fail(too_big) from None
                if self._more():
                    continue
                raise self._invalid(exc) from None
            except RecursionError:
                raise _fail("the JSON is nested too deeply to be the mappings") from None
            if separator not in ",}":
                raise _fail(f"the download is not valid JSON (unexpected {separator!r})")
            self._pos = pos + 1
            return name, value, separator == "}"

    def _invalid(self, exc: Exception) -> MappingSourceError:
        if isinstance(exc, json.JSONDecodeError) and not (
            exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string")
        ):
            return _fail(f"the download is not valid JSON ({exc.msg})")
        return _fail("the JSON is truncated (the mappings object is never closed)")

    # -- members ------------------------------------------------------------------

    def records(self) -> Iterator[AnibridgeRecord]:
        """One record per AniList id, in the file's order (the first of a repeated id wins)."""
        first = self._peek()
        if not first:
            raise _fail("the download is empty")
        if first == "<":
            raise _fail("got an HTML/XML page instead of the mappings JSON")
        if first != "{":
            raise _fail("expected a JSON object of mappings")
        self._pos += 1
        seen: set[int] = set()
        if self._peek() == "}":
            self._pos += 1
        else:
            last = False
            while not last:
                name, value, last = self._next_member()
                record = self._member(name, value, seen)
                if record is not None:
                    yield record
        if self._peek():
            raise _fail("the download is not valid JSON (text after the mappings object)")
        if not seen:
            raise _fail("the file has no anilist entries")

    def _member(self, key: str, value: Any, seen: set[int]) -> AnibridgeRecord | None:
        if key.startswith("$"):
            if key == "$meta" and isinstance(value, dict):
                self.meta = _meta(value)
            return None
        if not key.startswith("anilist:"):
            self.counts.other_members += 1
            return None
        self.counts.anilist_entries += 1
        anilist_id = parse_anilist_key(key)
        if anilist_id is None or anilist_id in seen or not isinstance(value, dict):
            self.counts.entries_skipped += 1
            return None
        seen.add(anilist_id)
        record = record_of(anilist_id, value, self.counts.lines)
        if record is None:
            self.counts.entries_skipped += 1
        return record


def _meta(raw: dict[str, Any]) -> ReleaseMeta:
    generated, version = raw.get("generated_on"), raw.get("schema_version")
    return ReleaseMeta(
        generated_on=generated if isinstance(generated, str) else None,
        schema_version=version if isinstance(version, str) else None,
    )


@dataclass(frozen=True, slots=True)
class ParsedRelease:
    records: tuple[AnibridgeRecord, ...]
    meta: ReleaseMeta
    counts: ReleaseCounts


def parse_release(source: Source) -> ParsedRelease:
    """Read a whole release into memory (tests, small files); big ones stream `records()`."""
    reader = ReleaseReader(source)
    records = tuple(reader.records())
    return ParsedRelease(records, reader.meta, reader.counts)
