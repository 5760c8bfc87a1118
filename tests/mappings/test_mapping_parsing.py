"""Reading the mapping sources: both Fribb shapes, Otaku databases, and everything broken.

Pure: no database and no network. Files are built by the tests (tests/fakes/files.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from anitrakt.clients.download import DownloadOptions, fetch_source
from anitrakt.domain.mapping_source import SourceEntry, SourceHit, TmdbKind
from anitrakt.domain.values import SourceName
from anitrakt.errors import MappingSourceError
from anitrakt.mappings.fribb import parse_fribb
from anitrakt.mappings.otaku import parse_otaku
from fakes.files import fribb_json, otaku_db, sqlite_bytes

FRIBB = SourceName.FRIBB.label
OTAKU = SourceName.OTAKU.label


def one_entry(raw: dict[str, Any]) -> SourceEntry:
    parsed = parse_fribb(fribb_json([raw]))
    assert len(parsed.entries) == 1
    return parsed.entries[0]


# --- Fribb: one entry at a time ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            {
                "anilist_id": 104578,
                "mal_id": 38524,
                "anidb_id": 14444,
                "type": "TV",
                "tvdb_id": 267440,
                "themoviedb_id": {"tv": 1429},
                "season": {"tvdb": 3, "tmdb": 3},
                "episode_offset": {"tvdb": 12, "tmdb": 12},
            },
            SourceEntry(
                104578,
                tvdb_id=267440,
                tmdb_id=1429,
                tmdb_kind=TmdbKind.TV,
                mal_id=38524,
                anidb_id=14444,
                media_type="TV",
                season=3,
                episode_offset=12,
            ),
            id="current-aot-s3-part2",
        ),
        pytest.param(
            {
                "anilist_id": 21519,
                "type": "MOVIE",
                "imdb_id": ["tt5311514", "tt0000001"],
                "themoviedb_id": {"movie": [372058, 1]},
            },
            SourceEntry(
                21519,
                tmdb_id=372058,
                tmdb_kind=TmdbKind.MOVIE,
                imdb_id="tt5311514",
                media_type="MOVIE",
            ),
            id="current-movie-first-of-lists",
        ),
        pytest.param(
            {"anilist_id": 1, "season": {"tvdb": 2, "tmdb": 1}, "episode_offset": {"tvdb": 13}},
            SourceEntry(1, season=1, episode_offset=13),
            id="current-prefers-tmdb-season-then-tvdb-offset",
        ),
        pytest.param(
            {"anilist_id": 13047, "season": {"tvdb": 0, "tmdb": 0}, "episode_offset": {"tvdb": -1}},
            SourceEntry(13047, season=0, episode_offset=-1),
            id="current-specials-and-negative-offset",
        ),
        pytest.param(
            {"anilist_id": 2, "type": "MOVIE", "themoviedb_id": {"tv": 5, "movie": [6]}},
            SourceEntry(2, tmdb_id=6, tmdb_kind=TmdbKind.MOVIE, media_type="MOVIE"),
            id="current-both-tmdb-kinds-movie-type",
        ),
        pytest.param(
            {
                "anilist_id": 21519,
                "type": "MOVIE",
                "imdb_id": "tt5311514",
                "themoviedb_id": 372058,
                "thetvdb_id": 7,
            },
            SourceEntry(
                21519,
                tvdb_id=7,
                tmdb_id=372058,
                tmdb_kind=TmdbKind.MOVIE,
                imdb_id="tt5311514",
                media_type="MOVIE",
            ),
            id="flat-scalars",
        ),
        pytest.param(
            {"anilist_id": 6408, "themoviedb_id": "0,60669,12", "imdb_id": "x, tt1546649"},
            SourceEntry(6408, tmdb_id=60669, tmdb_kind=TmdbKind.MOVIE, imdb_id="tt1546649"),
            id="flat-comma-separated-text",
        ),
        pytest.param(
            {
                "anilist_id": "42",
                "tvdb_id": "abc",
                "mal_id": -3,
                "anidb_id": True,
                "themoviedb_id": {"tv": [None, {"x": 1}]},
                "imdb_id": 5,
                "season": {"tmdb": "x", "tvdb": 2.0},
                "episode_offset": [1, 2],
                "type": ["TV"],
            },
            SourceEntry(42, season=2),
            id="wrong-types-cost-only-their-field",
        ),
        pytest.param(
            {"anilist_id": 3, "tvdb_id": 2**70, "season": {"tmdb": 5000}, "episode_offset": 10**9},
            SourceEntry(3),
            id="out-of-range-numbers-dropped",
        ),
    ],
)
def test_fribb_entries_normalise_both_shapes(raw: dict[str, Any], expected: SourceEntry) -> None:
    assert one_entry(raw) == expected


@pytest.mark.parametrize(
    ("entries", "shape"),
    [
        pytest.param([{"anilist_id": 1, "tvdb_id": 2}], "current", id="current"),
        pytest.param([{"anilist_id": 1, "thetvdb_id": 2}], "flat", id="flat"),
        pytest.param(
            [{"anilist_id": 1, "tvdb_id": 2}, {"anilist_id": 2, "themoviedb_id": 3}],
            "mixed",
            id="mixed",
        ),
    ],
)
def test_fribb_reports_the_file_shape(entries: list[dict[str, Any]], shape: str) -> None:
    assert parse_fribb(fribb_json(entries)).shape == shape


def test_fribb_skips_entries_without_anilist_ids_and_keeps_the_first_duplicate() -> None:
    parsed = parse_fribb(
        fribb_json(
            [
                {"mal_id": 1, "type": "TV"},
                "not an object",
                {"anilist_id": 5, "tvdb_id": 50},
                {"anilist_id": 5, "tvdb_id": 99},
                {"anilist_id": 0},
                {"anilist_id": 6},
            ]
        )
    )

    assert [(e.anilist_id, e.tvdb_id) for e in parsed.entries] == [(5, 50), (6, None)]
    assert parsed.skipped == 4


# --- Fribb: files that are not the list ----------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "empty", id="empty-download"),
        pytest.param(b"  \n<!DOCTYPE html><html>rate limited</html>", "HTML", id="html-page"),
        pytest.param(b"\xef\xbb\xbf<html></html>", "HTML", id="html-after-bom"),
        pytest.param(fribb_json([{"anilist_id": 1}] * 50)[:-7], "truncated", id="truncated"),
        pytest.param(b'[{"anilist_id": 1}, oops]', "not valid JSON", id="broken-json"),
        pytest.param(b'["\xff\xfe"]', "not UTF-8", id="not-utf8"),
        pytest.param(b'{"anilist_id": 1}', "got a JSON dict", id="object-not-list"),
        pytest.param(b'"a string"', "got a JSON str", id="string-not-list"),
        pytest.param(b"[]", "empty", id="empty-list"),
        pytest.param(b"[1, 2, 3]", "none of the 3 entries has an anilist_id", id="list-of-numbers"),
        pytest.param(
            fribb_json([{"mal_id": 1}, {"anilist_id": "x"}]), "has an anilist_id", id="no-ids"
        ),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deep-nesting"),
        pytest.param(
            b'[{"anilist_id": {"a": [[[[[{"b": null}]]]]]}}]', "has an anilist_id", id="nested-id"
        ),
    ],
)
def test_fribb_rejects_what_is_not_the_list(data: bytes, reason: str) -> None:
    with pytest.raises(MappingSourceError) as caught:
        parse_fribb(data)

    assert caught.value.source == FRIBB
    assert reason in caught.value.message
    assert caught.value.message.startswith(FRIBB)


def test_fribb_rejects_more_entries_than_allowed() -> None:
    with pytest.raises(MappingSourceError, match="more than the 2 allowed"):
        parse_fribb(
            fribb_json([{"anilist_id": 1}, {"anilist_id": 2}, {"anilist_id": 3}]), max_entries=2
        )


# --- Otaku ---------------------------------------------------------------------------

OTAKU_ROWS = [
    {
        "anilist_id": 16498,
        "mal_id": 16498,
        "thetvdb_id": 267440,
        "themoviedb_id": 1429,
        "imdb_id": "tt2560140",
        "trakt_id": 1420,
        "anime_media_type": "TV",
        "global_media_type": "series",
        "thetvdb_season": 1,
    },
    {
        "anilist_id": 21519,
        "themoviedb_id": 372058,
        "trakt_id": 231427,
        "anime_media_type": "MOVIE",
        "global_media_type": "movie",
    },
    {"anilist_id": 104578, "thetvdb_id": 267440, "thetvdb_season": 3, "thetvdb_part": 2},
    {"anilist_id": None, "mal_id": 99},
]


def test_otaku_reads_every_column() -> None:
    parsed = parse_otaku(otaku_db(OTAKU_ROWS))

    by_id = {e.anilist_id: e for e in parsed.entries}
    assert by_id[16498] == SourceEntry(
        16498, tvdb_id=267440, tmdb_id=1429, tmdb_kind=TmdbKind.TV, imdb_id="tt2560140",
        mal_id=16498, media_type="TV", season=1, trakt_id=1420,
    )  # fmt: skip
    assert by_id[21519].is_movie
    assert by_id[21519].tmdb_kind is TmdbKind.MOVIE
    assert (by_id[104578].season, by_id[104578].tvdb_part) == (3, 2)
    assert parsed.shape == "sqlite"
    assert parsed.missing_columns == ()
    assert parsed.last_activity == 1_714_000_000


def test_otaku_tolerates_missing_optional_columns_and_activities() -> None:
    parsed = parse_otaku(
        otaku_db(OTAKU_ROWS, columns=["anilist_id", "trakt_id"], last_updated=None)
    )

    by_id = {e.anilist_id: e for e in parsed.entries}
    assert by_id[16498] == SourceEntry(16498, trakt_id=1420)
    assert by_id[104578] == SourceEntry(104578)
    assert "thetvdb_season" in parsed.missing_columns
    assert "trakt_id" not in parsed.missing_columns
    assert parsed.last_activity is None


def test_otaku_prefers_the_row_with_a_trakt_id_when_ids_repeat() -> None:
    rows = [
        {"anilist_id": 7, "thetvdb_id": 1},
        {"anilist_id": 7, "thetvdb_id": 2, "trakt_id": 70},
        {"anilist_id": 7, "thetvdb_id": 3, "trakt_id": 71},
    ]

    parsed = parse_otaku(otaku_db(rows))

    assert [(e.tvdb_id, e.trakt_id) for e in parsed.entries] == [(2, 70)]


def test_otaku_reads_ids_stored_as_text() -> None:
    db = sqlite_bytes(
        "CREATE TABLE anime (anilist_id TEXT, trakt_id TEXT, thetvdb_season TEXT)",
        "INSERT INTO anime VALUES ('12', ' 34 ', 'x')",
    )

    assert parse_otaku(db).entries == (SourceEntry(12, trakt_id=34),)


_VALID_DB = otaku_db(OTAKU_ROWS)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "empty", id="empty-download"),
        pytest.param(b"<!DOCTYPE html><html>404</html>", "HTML page", id="html-page"),
        pytest.param(b"[1, 2, 3]", "not a SQLite database", id="json-bytes"),
        pytest.param(_VALID_DB[:200], "damaged or truncated", id="truncated-header"),
        pytest.param(_VALID_DB[: len(_VALID_DB) // 2], "damaged or truncated", id="truncated-half"),
        pytest.param(sqlite_bytes("CREATE TABLE other (x)"), "no `anime` table", id="no-table"),
        pytest.param(
            sqlite_bytes("CREATE TABLE t (anilist_id)", "CREATE VIEW anime AS SELECT * FROM t"),
            "no `anime` table",
            id="anime-is-a-view",
        ),
        pytest.param(
            sqlite_bytes("CREATE TABLE anime (mal_id)"), "no `anilist_id` column", id="no-column"
        ),
        pytest.param(
            sqlite_bytes("CREATE TABLE anime (anilist_id)"), "no row with an anilist_id", id="empty"
        ),
        pytest.param(
            sqlite_bytes("CREATE TABLE anime (anilist_id)", "INSERT INTO anime VALUES ('abc')"),
            "no row with an anilist_id",
            id="garbage-ids",
        ),
    ],
)
def test_otaku_rejects_what_is_not_the_database(data: bytes, reason: str) -> None:
    with pytest.raises(MappingSourceError) as caught:
        parse_otaku(data)

    assert caught.value.source == OTAKU
    assert reason in caught.value.message


def test_otaku_rejects_more_rows_than_allowed() -> None:
    with pytest.raises(MappingSourceError, match="more than the 2 rows allowed"):
        parse_otaku(otaku_db(OTAKU_ROWS), max_entries=2)


def test_otaku_reading_is_bounded_in_time() -> None:
    many_rows = [{"anilist_id": n} for n in range(1, 5001)]

    with pytest.raises(MappingSourceError, match="took longer than"):
        parse_otaku(otaku_db(many_rows), max_seconds=-1)


# --- the season hint rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("hit", "expected"),
    [
        pytest.param(
            SourceHit(1, SourceEntry(1, season=3, episode_offset=12), SourceEntry(1, season=2)),
            (3, 12, SourceName.FRIBB),
            id="fribb-wins",
        ),
        pytest.param(
            SourceHit(1, SourceEntry(1), SourceEntry(1, season=2)),
            (2, 0, SourceName.OTAKU),
            id="otaku-when-fribb-has-none",
        ),
        pytest.param(SourceHit(1, SourceEntry(1), None), None, id="none"),
    ],
)
def test_season_hint_prefers_fribb(hit: SourceHit, expected: tuple[int, int, str] | None) -> None:
    hint = hit.season_hint()
    assert (None if hint is None else (hint.season, hint.offset, hint.source)) == expected


# --- local files --------------------------------------------------------------------


def test_local_sources_are_read_from_a_path_or_file_url(tmp_path: Path) -> None:
    path = tmp_path / "my lists" / "anime-list-full.json"
    path.parent.mkdir()
    path.write_bytes(b"[1]")
    seen: list[tuple[int, int | None]] = []

    by_path = fetch_source(str(path), FRIBB)
    by_url = fetch_source(
        path.as_uri(), FRIBB, progress=lambda done, total: seen.append((done, total))
    )

    assert by_path.data == by_url.data == b"[1]"
    assert by_path.sha256 == by_url.sha256
    assert seen == [(3, 3)]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("missing.json", None, "does not exist", id="missing"),
        pytest.param("folder", "dir", "is a folder", id="folder"),
        pytest.param("big.json", b"x" * 101, "over the 100-byte limit", id="over-the-cap"),
    ],
)
def test_unreadable_local_sources_name_the_reason(
    tmp_path: Path, name: str, content: bytes | str | None, reason: str
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)

    with pytest.raises(MappingSourceError, match=reason):
        fetch_source(str(path), FRIBB, options=DownloadOptions(max_bytes=100))


def test_unknown_url_schemes_are_refused() -> None:
    with pytest.raises(MappingSourceError, match="unsupported URL scheme ftp"):
        fetch_source("ftp://example.org/list.json", FRIBB)
