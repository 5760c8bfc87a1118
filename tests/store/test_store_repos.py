"""Repository functions for mappings, sync progress, episode overrides and logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from anitrakt.domain.values import IdMapping, LogLevel, MappingType, TraktType
from anitrakt.store import logs as logs_repo
from anitrakt.store import mappings as mappings_repo
from anitrakt.store import progress as progress_repo
from anitrakt.store import titles as titles_repo
from anitrakt.store.anibridge import (
    add_ranges,
    clear_ranges,
    count_ranges,
    ranges_for,
    ranges_on_shows,
)
from anitrakt.store.logs import list_logs, prune_logs
from anitrakt.store.mappings import (
    delete_mapping,
    get_mapping,
    get_mapping_values,
    list_mappings,
    save_mapping,
    save_mappings,
)
from anitrakt.store.models import AniListTitle, EpisodeOverride, LogRow, Mapping
from anitrakt.store.overrides import (
    delete_override,
    get_overrides_for_shows,
    list_overrides,
    upsert_override,
)
from anitrakt.store.progress import (
    count_progress,
    delete_progress,
    get_progress,
    get_progress_many,
    list_progress,
    set_progress,
)
from anitrakt.store.titles import get_titles, save_titles
from anitrakt.usecases.manual import ManualMappingInput, save_manual_mapping
from seed import add_log
from sql_log import recorded_statements

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A settable `utc_now` so ordering by time is deterministic."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    for module in (mappings_repo, progress_repo, logs_repo, titles_repo):
        monkeypatch.setattr(module, "utc_now", fake)
    return fake


def stored_mapping(session: Session, anilist_id: int) -> Mapping | None:
    """The row as the database has it now (not a copy cached in the session)."""
    session.expire_all()
    return get_mapping(session, anilist_id)


# --- mappings -------------------------------------------------------------------------


def test_save_and_get_mapping_keeps_every_field(session: Session) -> None:
    mapping = IdMapping(
        anilist_id=21,
        trakt_id=37696,
        tmdb_id=37854,
        imdb_id="tt0388629",
        tvdb_id=81797,
        trakt_type=TraktType.SHOW,
        trakt_season=1,
        episode_offset=0,
    )
    assert save_mapping(session, mapping) is True

    row = stored_mapping(session, 21)
    assert row is not None
    assert (row.trakt_id, row.tmdb_id, row.imdb_id, row.tvdb_id) == (
        37696,
        37854,
        "tt0388629",
        81797,
    )
    assert (row.trakt_type, row.trakt_season, row.episode_offset) == ("show", 1, 0)
    assert (row.type, row.is_manual) == ("auto", False)
    assert row.updated_at.utcoffset() == timedelta(0)


def test_get_mapping_of_unknown_id_is_none(session: Session) -> None:
    assert get_mapping(session, 999) is None


def test_get_mapping_values_reads_many_in_one_query(engine: Engine, session: Session) -> None:
    for anilist_id in (1, 2, 3):
        save_mapping(session, IdMapping(anilist_id, trakt_id=anilist_id * 10))
    session.execute(sa.select(1))

    with recorded_statements(engine) as statements:
        found = get_mapping_values(session, [3, 1, 1, 404])

    assert len(statements) == 1
    assert {k: v.trakt_id for k, v in found.items()} == {1: 10, 3: 30}


def test_get_mapping_values_of_nothing_asks_nothing(engine: Engine, session: Session) -> None:
    session.execute(sa.select(1))
    with recorded_statements(engine) as statements:
        assert get_mapping_values(session, []) == {}
    assert statements == []


PRECEDENCE = [
    pytest.param(False, False, True, id="auto-replaces-auto"),
    pytest.param(False, True, True, id="manual-replaces-auto"),
    pytest.param(True, True, True, id="manual-replaces-manual"),
    pytest.param(True, False, False, id="auto-never-replaces-manual"),
]


@pytest.mark.parametrize(("first_manual", "second_manual", "replaced"), PRECEDENCE)
def test_save_mapping_precedence_decides_which_row_is_kept(
    session: Session, clock: Clock, first_manual: bool, second_manual: bool, replaced: bool
) -> None:
    save_mapping(session, IdMapping(5, 100, tmdb_id=1, manual=first_manual))
    first = stored_mapping(session, 5)
    assert first is not None
    first_updated = first.updated_at

    clock.advance(minutes=1)
    save_mapping(session, IdMapping(5, 200, tmdb_id=2, manual=second_manual))

    row = stored_mapping(session, 5)
    assert row is not None
    assert (row.trakt_id, row.tmdb_id) == ((200, 2) if replaced else (100, 1))
    winner_manual = second_manual if replaced else first_manual
    assert row.is_manual is winner_manual
    assert row.type == ("manual" if winner_manual else "auto")
    assert row.updated_at == (first_updated + timedelta(minutes=1) if replaced else first_updated)


@pytest.mark.parametrize(("first_manual", "second_manual", "replaced"), PRECEDENCE)
def test_save_mapping_reports_whether_it_stored_anything(
    session: Session,
    first_manual: bool,
    second_manual: bool,
    replaced: bool,
) -> None:
    assert save_mapping(session, IdMapping(5, 100, manual=first_manual)) is True
    assert save_mapping(session, IdMapping(5, 200, manual=second_manual)) is replaced


@pytest.mark.parametrize(("first_manual", "second_manual", "replaced"), PRECEDENCE)
def test_save_mappings_follows_the_same_precedence(
    session: Session, first_manual: bool, second_manual: bool, replaced: bool
) -> None:
    save_mapping(session, IdMapping(5, 100, tmdb_id=1, manual=first_manual))

    written = save_mappings(
        session, [IdMapping(5, 200, tmdb_id=2, manual=second_manual), IdMapping(6, 60)]
    )

    assert written == ({5, 6} if replaced else {6})
    stored = get_mapping_values(session, [5, 6, 404])
    assert (stored[5].trakt_id, stored[5].tmdb_id) == ((200, 2) if replaced else (100, 1))
    assert stored[6] == IdMapping(6, 60)


def test_save_mappings_writes_large_batches_in_few_statements(
    engine: Engine, session: Session
) -> None:
    batch = [
        IdMapping(i, i * 10, imdb_id=f"tt{i:07d}", trakt_type=TraktType.MOVIE, trakt_season=None)
        for i in range(1, 1202)
    ]
    session.execute(sa.select(1))

    with recorded_statements(engine) as statements:
        written = save_mappings(session, [*batch, IdMapping(1, 11)])  # a repeated id: last wins

    # Not one statement per row: SQLAlchemy sends up to 1,000 rows per statement.
    assert len(statements) <= 2
    assert written == {m.anilist_id for m in batch}
    stored = get_mapping_values(session, written)
    assert stored[1] == IdMapping(1, 11)
    assert stored[1201] == batch[-1]


@pytest.mark.parametrize(
    "manual", [pytest.param(True, id="manual"), pytest.param(False, id="auto")]
)
def test_type_and_is_manual_agree(session: Session, manual: bool) -> None:
    save_mapping(session, IdMapping(8, 80, manual=manual))
    row = stored_mapping(session, 8)
    assert row is not None
    assert row.is_manual is manual
    assert row.type == (MappingType.MANUAL if manual else MappingType.AUTO).value


def test_manual_resave_replaces_extension_columns(session: Session) -> None:
    """A later manual save replaces the extension columns too (no stale season/offset)."""
    save_mapping(session, IdMapping(9, 90, manual=True, trakt_season=2, episode_offset=12))
    save_mapping(session, IdMapping(9, 91, manual=True))
    row = stored_mapping(session, 9)
    assert row is not None
    assert (row.trakt_id, row.trakt_season, row.episode_offset) == (91, None, None)


def test_save_manual_mapping_from_user_input_wins_over_auto(session: Session) -> None:
    save_mapping(session, IdMapping(21, 1, tmdb_id=5))
    row = save_manual_mapping(
        session,
        ManualMappingInput(
            anilist_id="https://anilist.co/anime/21/one-piece/", trakt_id="37696", season="1"
        ),
    )
    assert (row.anilist_id, row.trakt_id, row.is_manual, row.type) == (21, 37696, True, "manual")
    assert row.tmdb_id is None
    assert row.trakt_season == 1
    save_mapping(session, IdMapping(21, 2))
    kept = stored_mapping(session, 21)
    assert kept is not None
    assert kept.trakt_id == 37696


def test_list_mappings_newest_first_with_kind_filter(session: Session, clock: Clock) -> None:
    save_mapping(session, IdMapping(1, 10))
    clock.advance(minutes=1)
    save_mapping(session, IdMapping(2, 20, manual=True))
    clock.advance(minutes=1)
    save_mapping(session, IdMapping(3, 30))
    clock.advance(minutes=1)
    save_mapping(session, IdMapping(4, 40, manual=True))

    ids = [m.anilist_id for m in list_mappings(session)]
    manual = [m.anilist_id for m in list_mappings(session, kind=MappingType.MANUAL)]
    auto = [m.anilist_id for m in list_mappings(session, kind=MappingType.AUTO)]
    page = [m.anilist_id for m in list_mappings(session, limit=2, offset=1)]

    assert ids == [4, 3, 2, 1]
    assert manual == [4, 2]
    assert auto == [3, 1]
    assert page == [3, 2]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("100", [100], id="anilist-id"),
        pytest.param("5000", [100], id="trakt-id"),
        pytest.param("777", [200], id="tmdb-id"),
        pytest.param("888", [200], id="tvdb-id"),
        pytest.param("tt0123456", [100], id="imdb-id"),
        pytest.param("  200  ", [200], id="spaces-trimmed"),
        pytest.param("31337", [], id="no-match"),
        pytest.param("tt9999999", [], id="unknown-imdb"),
    ],
)
def test_list_mappings_search_by_any_id(session: Session, search: str, expected: list[int]) -> None:
    save_mapping(session, IdMapping(100, 5000, imdb_id="tt0123456"))
    save_mapping(session, IdMapping(200, 6000, tmdb_id=777, tvdb_id=888, manual=True))
    assert [m.anilist_id for m in list_mappings(session, search=search)] == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("titan", [100], id="part-of-a-title"),
        pytest.param("ATTACK ON", [100], id="any-case"),
        pytest.param("100%", [300], id="percent-is-literal"),
        pytest.param("_", [300], id="underscore-is-literal"),
        pytest.param("Bebop", [], id="title-of-an-unmapped-entry"),
        pytest.param("tt0123456", [100], id="imdb-id-still"),
    ],
)
def test_list_mappings_search_by_title(session: Session, search: str, expected: list[int]) -> None:
    save_mapping(session, IdMapping(100, 5000, imdb_id="tt0123456"))
    save_mapping(session, IdMapping(200, 6000, manual=True))
    save_mapping(session, IdMapping(300, 7000))
    save_titles(session, {100: "Attack on Titan", 300: "100% Pascal_sensei", 400: "Cowboy Bebop"})

    assert [m.anilist_id for m in list_mappings(session, search=search)] == expected


def test_titles_are_saved_and_replaced_only_when_they_change(
    session: Session, clock: Clock
) -> None:
    save_titles(session, {1: "Old Name", 2: "Same"})
    first = {r.anilist_id: r.updated_at for r in session.scalars(sa.select(AniListTitle))}
    clock.advance(hours=1)

    save_titles(session, {1: "New Name", 2: "Same", 3: "Third"})

    assert get_titles(session, [1, 2, 3, 4]) == {1: "New Name", 2: "Same", 3: "Third"}
    rows = {r.anilist_id: r.updated_at for r in session.scalars(sa.select(AniListTitle))}
    assert rows[1] > first[1]
    assert rows[2] == first[2]  # unchanged: not rewritten


def test_many_titles_in_one_call(session: Session) -> None:
    save_titles(session, {n: f"Show {n}" for n in range(1, 1201)})

    assert len(get_titles(session, range(1, 1301))) == 1200


def test_search_combines_with_kind(session: Session) -> None:
    save_mapping(session, IdMapping(100, 42))
    save_mapping(session, IdMapping(200, 42, manual=True))
    found = list_mappings(session, search="42", kind=MappingType.MANUAL)
    assert [m.anilist_id for m in found] == [200]


def test_delete_mapping(session: Session) -> None:
    save_mapping(session, IdMapping(1, 10))
    assert delete_mapping(session, 1) is True
    assert stored_mapping(session, 1) is None
    assert delete_mapping(session, 1) is False


# --- sync progress --------------------------------------------------------------------


def test_progress_of_unknown_entry_is_zero(session: Session) -> None:
    assert get_progress(session, 12345) == 0


def test_set_progress_creates_then_replaces(session: Session) -> None:
    set_progress(session, 1, 3)
    assert get_progress(session, 1) == 3
    set_progress(session, 1, 7)
    assert get_progress(session, 1) == 7
    assert count_progress(session) == 1


def test_progress_updated_at_advances_on_replace(session: Session, clock: Clock) -> None:
    set_progress(session, 1, 3)
    clock.advance(hours=2)
    set_progress(session, 1, 4)
    [row] = list_progress(session)
    assert row.updated_at == T0 + timedelta(hours=2)


def test_get_progress_many_in_one_query_omits_unknown(engine: Engine, session: Session) -> None:
    set_progress(session, 1, 3)
    set_progress(session, 2, 0)
    set_progress(session, 3, 12)
    session.execute(sa.select(1))

    with recorded_statements(engine) as statements:
        found = get_progress_many(session, [1, 2, 3, 4, 1])

    assert len(statements) == 1
    assert found == {1: 3, 2: 0, 3: 12}
    assert get_progress_many(session, []) == {}


def test_list_progress_newest_first_with_paging(session: Session, clock: Clock) -> None:
    for anilist_id in (10, 20, 30, 40):
        set_progress(session, anilist_id, anilist_id // 10)
        clock.advance(minutes=1)
    set_progress(session, 10, 9)  # updating an old entry makes it the newest

    assert [p.anilist_id for p in list_progress(session)] == [10, 40, 30, 20]
    assert [p.anilist_id for p in list_progress(session, limit=2)] == [10, 40]
    assert [p.anilist_id for p in list_progress(session, limit=2, offset=2)] == [30, 20]
    assert list_progress(session, limit=2, offset=4) == []
    assert count_progress(session) == 4


def test_delete_progress_resets_to_zero(session: Session) -> None:
    set_progress(session, 1, 5)
    assert delete_progress(session, 1) is True
    assert get_progress(session, 1) == 0
    assert count_progress(session) == 0
    assert delete_progress(session, 1) is False


# --- episode overrides ----------------------------------------------------------------


def test_upsert_override_twice_leaves_one_row_with_second_values(session: Session) -> None:
    upsert_override(session, trakt_id=7, abs=13, season=1, episode=13)
    upsert_override(session, trakt_id=7, abs=13, season=2, episode=1)

    rows = session.scalars(sa.select(EpisodeOverride)).all()
    assert [(r.trakt_id, r.abs, r.season, r.episode) for r in rows] == [(7, 13, 2, 1)]


def test_get_overrides_for_several_shows_in_one_query(engine: Engine, session: Session) -> None:
    upsert_override(session, 1, 1, 1, 1)
    upsert_override(session, 1, 2, 0, 5)
    upsert_override(session, 2, 30, 3, 4)
    upsert_override(session, 3, 1, 9, 9)
    session.execute(sa.select(1))

    with recorded_statements(engine) as statements:
        index = get_overrides_for_shows(session, [1, 2, 99])

    assert len(statements) == 1
    assert index == {1: {1: (1, 1), 2: (0, 5)}, 2: {30: (3, 4)}}
    assert get_overrides_for_shows(session, []) == {}


def test_delete_override(session: Session) -> None:
    upsert_override(session, 1, 1, 1, 1)
    upsert_override(session, 1, 2, 1, 2)
    assert delete_override(session, 1, 1) is True
    assert delete_override(session, 1, 1) is False
    assert get_overrides_for_shows(session, [1]) == {1: {2: (1, 2)}}


def test_list_overrides_by_show_in_show_and_episode_order(session: Session) -> None:
    upsert_override(session, 2, 5, 1, 5)
    upsert_override(session, 1, 9, 1, 9)
    upsert_override(session, 1, 3, 1, 3)

    assert [(o.trakt_id, o.abs) for o in list_overrides(session)] == [(1, 3), (1, 9), (2, 5)]
    assert [(o.trakt_id, o.abs) for o in list_overrides(session, 1)] == [(1, 3), (1, 9)]
    assert list_overrides(session, 404) == []


# --- logs -----------------------------------------------------------------------------


def test_add_log_stores_message_level_and_aware_time(session: Session) -> None:
    row = add_log(session, "sync started", LogLevel.WARN)
    assert row.id is not None
    [stored] = list_logs(session)
    assert (stored.message, stored.level) == ("sync started", "warn")
    assert stored.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stored.created_at) < timedelta(minutes=1)


def test_add_log_defaults_to_info(session: Session) -> None:
    add_log(session, "hello")
    [stored] = list_logs(session)
    assert stored.level == "info"


def test_list_logs_newest_first_with_limit_and_level(session: Session, clock: Clock) -> None:
    levels = [LogLevel.INFO, LogLevel.ERROR, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR]
    for number, level in enumerate(levels):
        add_log(session, f"event {number}", level)
        clock.advance(seconds=1)

    assert [r.message for r in list_logs(session)] == [f"event {n}" for n in (4, 3, 2, 1, 0)]
    assert [r.message for r in list_logs(session, limit=2)] == ["event 4", "event 3"]
    errors = list_logs(session, level=LogLevel.ERROR)
    assert [r.message for r in errors] == ["event 4", "event 1"]
    assert [r.message for r in list_logs(session, level=LogLevel.INFO, limit=1)] == ["event 2"]


def test_logs_written_in_the_same_instant_keep_insertion_order(
    session: Session, clock: Clock
) -> None:
    for number in range(3):
        add_log(session, f"same time {number}")
    assert [r.message for r in list_logs(session)] == [
        "same time 2",
        "same time 1",
        "same time 0",
    ]


def test_prune_logs_removes_only_rows_older_than_the_cutoff(session: Session) -> None:
    now = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
    ages = {"ancient": 400, "old": 31, "edge": 29, "recent": 1, "fresh": 0}
    for message, days in ages.items():
        session.add(LogRow(message=message, level="info", created_at=now - timedelta(days=days)))
    session.flush()

    removed = prune_logs(session, 30, now=now)

    assert removed == 2
    assert {r.message for r in list_logs(session)} == {"edge", "recent", "fresh"}


def test_prune_logs_with_nothing_old_removes_nothing(session: Session) -> None:
    add_log(session, "just now")
    assert prune_logs(session, 30) == 0
    assert len(list_logs(session)) == 1


# -- anibridge_ranges ---------------------------------------------------------------


def test_anibridge_ranges_are_found_by_entry_and_by_show(session: Session) -> None:
    jjk, jjk_2, k_on, tvdb_only = 113415, 145064, 5680, 777
    add_ranges(
        session,
        [
            (jjk, '{"tmdb_show:95479:s1":{"1-24":"1-24"}}', 95479, 377543),
            (jjk_2, '{"tmdb_show:95479:s1":{"1-23":"25-47"}}', 95479, 377543),
            (k_on, '{"tmdb_show:34101:s1":{"1-12":"1-12"}}', 34101, None),
            (tvdb_only, '{"tvdb_show:9000:s2":{"1-":"1-"}}', None, 9000),
        ],
    )

    assert ranges_for(session, [jjk_2, 1]) == {jjk_2: '{"tmdb_show:95479:s1":{"1-23":"25-47"}}'}
    assert set(ranges_on_shows(session, [95479], [])) == {jjk, jjk_2}
    assert set(ranges_on_shows(session, [34101], [9000])) == {k_on, tvdb_only}
    assert ranges_on_shows(session, [], []) == {}
    assert count_ranges(session) == 4

    clear_ranges(session)

    assert count_ranges(session) == 0
