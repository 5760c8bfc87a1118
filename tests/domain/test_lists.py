"""Planning → watchlist and dropped: what AniList wants, and only anitrakt's own removed."""

from __future__ import annotations

import pytest

from anitrakt.domain.anilist import Media, MediaListEntry
from anitrakt.domain.lists import (
    Owned,
    Placed,
    Wanted,
    applied,
    dropped_wanted,
    plan_list,
    reconcile,
    watchlist_wanted,
)
from anitrakt.domain.trakt_lists import ItemRef
from anitrakt.domain.values import TraktType


def show(n: int) -> ItemRef:
    return ItemRef(TraktType.SHOW, n)


def movie(n: int) -> ItemRef:
    return ItemRef(TraktType.MOVIE, n)


def want(*items: ItemRef) -> list[Wanted]:
    return [Wanted(item, item.trakt_id, f"Title {item.trakt_id}") for item in items]


def added(plan_items: tuple[Wanted, ...]) -> list[ItemRef]:
    return [w.item for w in plan_items]


def test_adds_in_order_and_leaves_the_persons_own_alone() -> None:
    mine = show(9)  # on Trakt, not anitrakt's: never removed, even when not wanted
    plan = plan_list(want(show(1), movie(2)), frozenset({mine}), Owned(), count=1, limit=None)

    assert added(plan.add) == [show(1), movie(2)]
    assert plan.remove == ()


def test_removes_only_what_anitrakt_added() -> None:
    on_trakt = frozenset({show(1), show(2), show(9)})
    owned = Owned(added=frozenset({show(1), show(2)}))

    plan = plan_list(want(show(2)), on_trakt, owned, count=3, limit=None)

    assert plan.remove == (show(1),)
    assert plan.add == ()
    assert plan.unchanged == 1


def test_fills_the_cap_in_order_after_counting_removals() -> None:
    on_trakt = frozenset({show(1), show(9)})
    owned = Owned(added=frozenset({show(1)}))
    wanted = want(show(2), show(3), show(4), show(5))

    plan = plan_list(wanted, on_trakt, owned, count=3, limit=4)  # 3 items: one a season

    assert plan.remove == (show(1),)
    assert added(plan.add) == [show(2), show(3)]
    assert added(plan.over_cap) == [show(4), show(5)]


@pytest.mark.parametrize(
    ("owned", "on_trakt", "wanted", "expected"),
    [
        pytest.param(
            Owned(pending=frozenset({show(1), show(2)})),
            {show(1)},
            {show(1), show(2)},
            Owned(added=frozenset({show(1)})),
            id="a-pending-add-that-landed-is-ours",
        ),
        pytest.param(
            Owned(added=frozenset({show(1)})),
            set(),
            {show(1)},
            Owned(declined=frozenset({show(1)})),
            id="ours-gone-while-wanted-is-declined",
        ),
        pytest.param(
            Owned(added=frozenset({show(1)})),
            set(),
            set(),
            Owned(),
            id="ours-gone-and-unwanted-is-forgotten",
        ),
        pytest.param(
            Owned(declined=frozenset({show(1)})),
            set(),
            set(),
            Owned(),
            id="a-decline-ends-when-unwanted",
        ),
    ],
)
def test_reconcile(
    owned: Owned, on_trakt: set[ItemRef], wanted: set[ItemRef], expected: Owned
) -> None:
    assert reconcile(owned, frozenset(on_trakt), frozenset(wanted)) == expected


def test_a_declined_item_is_not_put_back() -> None:
    plan = plan_list(
        want(show(1)), frozenset(), Owned(added=frozenset({show(1)})), count=0, limit=9
    )
    assert plan.add == ()
    assert added(plan.declined) == [show(1)]


def test_applied_moves_pending_to_added() -> None:
    owned = Owned(added=frozenset({show(1)}), pending=frozenset({show(2), show(3)}))

    after = applied(owned, added=[show(2)], removed=[show(1)], sent=[show(2), show(3)])

    assert after == Owned(added=frozenset({show(2)}))


def test_owned_round_trips_and_ignores_garbage() -> None:
    owned = Owned(frozenset({show(1)}), frozenset({movie(2)}), frozenset({show(3)}))
    assert Owned.from_json(owned.to_json()) == owned
    assert Owned.from_json({"added": [["show", "x"], ["season", 1], 5]}) == Owned()
    assert Owned.from_json("nonsense") == Owned()


def entry(media_id: int, status: str, *, created: int = 0, fmt: str = "TV") -> MediaListEntry:
    return MediaListEntry(
        Media(media_id, title_romaji=f"Anime {media_id}", format=fmt),
        status,
        0,
        0.0,
        0,
        None,
        0,
        created_at=created,
    )


def test_planning_is_wanted_in_the_order_added_each_item_once() -> None:
    placed = [
        Placed(entry(1, "PLANNING", created=30), show(10)),
        Placed(entry(2, "PLANNING", created=10), movie(20)),
        Placed(entry(3, "PLANNING", created=20), show(10)),  # a sequel of the same show
        Placed(entry(4, "PLANNING", created=5), None, "no mapping source entry"),
        Placed(entry(5, "COMPLETED", created=1), show(50)),
    ]

    wanted, unlisted = watchlist_wanted(placed)

    assert [(w.item, w.anilist_id) for w in wanted] == [(movie(20), 2), (show(10), 3)]
    assert [(u.anilist_id, u.reason) for u in unlisted] == [(4, "no mapping source entry")]


def test_a_show_being_watched_is_neither_planned_nor_dropped() -> None:
    placed = [
        Placed(entry(1, "PLANNING"), show(10)),
        Placed(entry(2, "DROPPED"), show(10)),
        Placed(entry(3, "CURRENT"), show(10)),
    ]
    assert watchlist_wanted(placed)[0] == []
    assert dropped_wanted(placed)[0] == []


def test_dropped_wants_shows_not_movies() -> None:
    placed = [
        Placed(entry(1, "DROPPED"), show(10)),
        Placed(entry(2, "DROPPED", fmt="MOVIE"), movie(20)),
    ]

    wanted, unlisted = dropped_wanted(placed)

    assert [w.item for w in wanted] == [show(10)]
    assert [u.anilist_id for u in unlisted] == [2]
