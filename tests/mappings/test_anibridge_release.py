"""The anibridge release parser (streamed, member by member) and the zstd helper."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard

from anitrakt.domain.anibridge import (
    PLACEMENT_PROVIDERS,
    Provider,
    RangeHit,
    locate,
    parse_entry,
)
from anitrakt.domain.mapping_source import TmdbKind
from anitrakt.errors import MappingSourceError
from anitrakt.mappings.anibridge import AnibridgeRecord, ReleaseReader, parse_release
from anitrakt.mappings.zstd import decompress_stream, looks_like_zstd
from paths import SHARED_DATA

SHARED_DATA = SHARED_DATA
SAMPLE = SHARED_DATA / "mappings" / "anibridge-mappings-edits-v3.min.json"

RELEASE: dict[str, Any] = {
    "$meta": {"schema_version": "3.0.0", "generated_on": "2026-02-27T00:00:00Z", "note": "Pokémon"},
    "anilist:163146": {
        "tmdb_show:131041:s1": {"1-14": "25-38"},
        "tvdb_show:408629:s2": {"1-14": "1-14"},
        "mal:54865": {"1": "1"},
        "anidb:17954:R": {"1-14": "1-14"},
    },
    "anilist:5": {
        "tmdb_movie:11299": {"1": "1"},
        "tvdb_show:76885:s0": {"1": "3"},
        "imdb_movie:tt0275277": {"1": "1"},
    },
    "mal:54865": {"anilist:163146": {"1": "1"}},
    "tmdb_show:131041:s1": {"anilist:163146": {"25-38": "1-14"}},
    "anilist:4874": {"tvdb_show:76703:s0": {"1-2": "36|2"}},
    "anilist:abc": {"mal:1": {}},
    "anilist:9": [1, 2],
    "anilist:10": {},
    "anilist:11": {"tmdb_show:1:s1": {"1-12": "1-12|0", "13": "x"}, "bogus": {"1": "1"}},
}


def encode(document: dict[str, Any], *, indent: int | None = None) -> bytes:
    separators = (",", ":") if indent is None else None
    return json.dumps(document, indent=indent, separators=separators, ensure_ascii=False).encode()


def by_id(records: tuple[AnibridgeRecord, ...]) -> dict[int, AnibridgeRecord]:
    return {record.anilist_id: record for record in records}


def test_release_gives_one_record_per_anilist_id_with_its_ids_and_lines() -> None:
    parsed = parse_release(encode(RELEASE))

    records = by_id(parsed.records)
    assert sorted(records) == [5, 11, 4874, 163146]
    blue_lock = records[163146]
    assert (blue_lock.tmdb_show_id, blue_lock.tvdb_id, blue_lock.mal_id, blue_lock.anidb_id) == (
        131041,
        408629,
        54865,
        17954,
    )
    hit = locate(blue_lock.entry_ranges().keys_for(Provider.TMDB_SHOW, 131041), 14)
    assert isinstance(hit, RangeHit)
    assert hit.episodes == (38,)
    assert json.loads(blue_lock.ranges_json) == {
        "tmdb_show:131041:s1": {"1-14": "25-38"},
        "tvdb_show:408629:s2": {"1-14": "1-14"},
    }
    assert parsed.meta.generated_on == "2026-02-27T00:00:00Z"
    assert parsed.meta.schema_version == "3.0.0"


def test_release_counts_what_it_skips() -> None:
    counts = parse_release(encode(RELEASE)).counts

    assert counts.anilist_entries == 7
    assert counts.other_members == 2
    # a bad id, a list instead of an object, an entry naming nothing
    assert counts.entries_skipped == 3
    assert counts.lines.keys_skipped == 1
    assert counts.lines.lines_dropped == 1
    assert counts.lines.lines_skipped == 1
    assert counts.lines.lines_reinterpreted == 1


def test_sign_slip_is_stored_the_way_it_was_read() -> None:
    record = by_id(parse_release(encode(RELEASE)).records)[4874]

    assert json.loads(record.ranges_json) == {"tvdb_show:76703:s0": {"1-2": "36|-2"}}


@pytest.mark.parametrize(
    ("anilist_id", "tmdb_id", "kind"),
    [
        pytest.param(5, 11299, TmdbKind.MOVIE, id="movie-also-a-tvdb-special"),
        pytest.param(163146, 131041, TmdbKind.TV, id="show"),
        pytest.param(4874, None, None, id="tvdb-only"),
    ],
)
def test_source_entry_joins_resolution_beside_fribb(
    anilist_id: int, tmdb_id: int | None, kind: TmdbKind | None
) -> None:
    entry = by_id(parse_release(encode(RELEASE)).records)[anilist_id].source_entry()

    assert (entry.tmdb_id, entry.tmdb_kind) == (tmdb_id, kind)
    assert entry.anilist_id == anilist_id


def test_movie_source_entry_carries_its_imdb_id() -> None:
    entry = by_id(parse_release(encode(RELEASE)).records)[5].source_entry()

    assert entry.imdb_id == "tt0275277"
    assert entry.is_movie


def test_first_of_a_repeated_anilist_id_wins() -> None:
    text = '{"anilist:1":{"tmdb_show:7:s1":{"1":"1"}},"anilist:1":{"tmdb_show:8:s1":{"1":"1"}}}'

    parsed = parse_release(text.encode())

    assert [r.tmdb_show_id for r in parsed.records] == [7]
    assert parsed.counts.entries_skipped == 1


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 20])
def test_any_chunking_reads_the_same(chunk_size: int) -> None:
    data = encode(RELEASE)
    whole = parse_release(data)

    reader = ReleaseReader(io.BytesIO(data), chunk_size=chunk_size)
    records = tuple(reader.records())

    assert records == whole.records
    assert reader.meta == whole.meta
    assert reader.counts == whole.counts


def test_pretty_file_with_bom_reads_like_the_minified_one() -> None:
    pretty = b"\xef\xbb\xbf" + encode(RELEASE, indent=2) + b"\n"

    assert parse_release(pretty).records == parse_release(encode(RELEASE)).records


def test_an_iterable_of_chunks_is_a_source() -> None:
    data = encode(RELEASE)
    chunks = [data[i : i + 5] for i in range(0, len(data), 5)]

    assert parse_release(iter(chunks)).records == parse_release(data).records


def test_a_number_cut_between_chunks_is_read_whole() -> None:
    data = b'{"anilist:1":{"tmdb_show:7:s1":{"1":"1"}},"$count":12345}'

    reader = ReleaseReader(data, chunk_size=len(data) - 3)
    records = list(reader.records())

    assert [r.anilist_id for r in records] == [1]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"  \n ", "empty", id="whitespace"),
        pytest.param(b"<!DOCTYPE html><html>rate limited</html>", "HTML", id="html"),
        pytest.param(b'[{"anilist_id": 1}]', "JSON object", id="fribb-shaped-list"),
        pytest.param(b'{"anilist:1":{"tmdb_show:7:s1":{"1":"1"}},"anili', "truncated", id="cut"),
        pytest.param(b'{"anilist:1":{"tmdb_show:7:s1":{"1":"1"}}', "truncated", id="unclosed"),
        pytest.param(b'{"anilist:1":{"tmdb_show:7:s1":{"1":"1"}} nope', "not valid", id="garbage"),
        pytest.param(b'{"anilist:1":{"a":1}}}', "text after", id="trailing"),
        pytest.param(b'{"anilist:1" {"a":1}}', "not valid", id="no-colon"),
        pytest.param(b'{1: {"a": 1}}', "not valid", id="name-not-text"),
        pytest.param(b'{"mal:1":{"anilist:2":{"1":"1"}}}', "no anilist", id="no-anilist"),
        pytest.param(b"{}", "no anilist", id="empty-object"),
        pytest.param(b'{"anilist:1":{"x":"\xff"}}', "UTF-8", id="not-utf8"),
    ],
)
def test_files_that_are_not_a_release_are_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(MappingSourceError) as caught:
        parse_release(data)

    assert reason in caught.value.reason
    assert caught.value.source == "anibridge-mappings"


def test_one_huge_member_is_rejected_without_reading_on_forever() -> None:
    data = b'{"anilist:1":{"tmdb_show:7:s1":{"1":"' + b"9" * 5000 + b'"}}}'

    with pytest.raises(MappingSourceError, match="larger than"):
        list(ReleaseReader(data, chunk_size=100, max_member_chars=1000).records())


# --- zstd --------------------------------------------------------------------------


def test_zstd_release_streams_through_the_parser() -> None:
    data = encode(RELEASE)
    packed = zstandard.ZstdCompressor().compress(data)

    chunks = decompress_stream(io.BytesIO(packed), label="anibridge-mappings", chunk_size=16)
    parsed = parse_release(chunks)

    assert looks_like_zstd(packed)
    assert not looks_like_zstd(data)
    assert parsed.records == parse_release(data).records


def test_release_files_on_disk_read_plain_and_zstd(tmp_path: Path) -> None:
    plain = tmp_path / "mappings.min.json"
    packed = tmp_path / "mappings.json.zst"
    plain.write_bytes(encode(RELEASE))
    with plain.open("rb") as source, packed.open("wb") as target:
        zstandard.ZstdCompressor(level=19).copy_stream(source, target)

    with packed.open("rb") as handle:
        assert looks_like_zstd(handle.read(4))
        handle.seek(0)
        from_zstd = parse_release(decompress_stream(handle, label="anibridge-mappings"))
    with plain.open("rb") as handle:
        from_plain = parse_release(handle)

    assert from_zstd.records == from_plain.records
    assert sorted(r.anilist_id for r in from_zstd.records) == [5, 11, 4874, 163146]


def test_zstd_output_comes_in_bounded_chunks_and_frames_concatenate() -> None:
    first, second = b"a" * 300_000, b"b" * 1000
    packed = zstandard.ZstdCompressor().compress(first) + zstandard.ZstdCompressor().compress(
        second
    )

    chunks = list(decompress_stream(packed, label="x", chunk_size=64 * 1024))

    assert b"".join(chunks) == first + second
    assert len(chunks) > 1


def test_zstd_written_without_a_content_size_decompresses() -> None:
    compressor = zstandard.ZstdCompressor().compressobj()
    packed = compressor.compress(b"x" * 5000) + compressor.flush()

    assert b"".join(decompress_stream([packed[:7], packed[7:]], label="x")) == b"x" * 5000


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(lambda z: z[: len(z) // 2], "truncated", id="truncated"),
        pytest.param(lambda z: b"{not zstd}", "not zstd", id="plain-json"),
        pytest.param(lambda z: b"", "empty", id="empty"),
        pytest.param(lambda z: z + b"trailing junk", "corrupt", id="junk-after-frame"),
    ],
)
def test_unusable_zstd_is_rejected(make: Any, reason: str) -> None:
    packed = zstandard.ZstdCompressor().compress(b"y" * 100_000)

    with pytest.raises(MappingSourceError) as caught:
        b"".join(decompress_stream(make(packed), label="anibridge-mappings"))

    assert reason in caught.value.reason


def test_zstd_that_expands_past_the_cap_stops() -> None:
    packed = zstandard.ZstdCompressor().compress(b"z" * 1_000_000)

    with pytest.raises(MappingSourceError, match="expands past"):
        b"".join(decompress_stream(packed, label="x", max_output=100_000))


# --- the real curated sample -------------------------------------------------------


@pytest.fixture(scope="module")
def sample_bytes() -> bytes:
    if not SAMPLE.is_file():
        pytest.skip(f"real anibridge sample not found at {SAMPLE} (../shared/data is absent)")
    return SAMPLE.read_bytes()


def test_real_sample_reads_whole(sample_bytes: bytes) -> None:
    parsed = parse_release(io.BytesIO(sample_bytes))

    assert len(parsed.records) == 9302  # the README's count
    assert parsed.meta.generated_on == "2026-02-27T00:00:00Z"
    assert parsed.counts.entries_skipped == 0
    assert parsed.counts.lines.lines_reinterpreted == 25
    re_zero_2 = by_id(parsed.records)[108632]
    assert (re_zero_2.tmdb_show_id, re_zero_2.source_entry().tmdb_kind) == (65942, TmdbKind.TV)


def test_real_sample_records_keep_every_placement_line(sample_bytes: bytes) -> None:
    raw = json.loads(sample_bytes)
    for record in parse_release(sample_bytes).records:
        expected = parse_entry(record.anilist_id, raw[f"anilist:{record.anilist_id}"])
        wanted = [t for t in expected.targets if t.key.provider in PLACEMENT_PROVIDERS]
        assert record.entry_ranges().targets == tuple(wanted), record.anilist_id


def test_real_sample_pretty_and_zstd_read_the_same(sample_bytes: bytes) -> None:
    pretty = json.dumps(json.loads(sample_bytes), indent=2, ensure_ascii=False).encode()
    packed = zstandard.ZstdCompressor().compress(sample_bytes)

    minified = parse_release(sample_bytes).records
    assert parse_release(pretty).records == minified
    assert parse_release(decompress_stream(packed, label="x")).records == minified
