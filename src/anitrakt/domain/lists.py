"""Planning → watchlist and dropped → hidden (docs/beyond-history.md). Pure, no I/O.

Both are one kind of sync: AniList says which Trakt items should be on a list
(`watchlist_wanted`, `dropped_wanted`), Trakt says what is on it, and `Owned` remembers
which items anitrakt put there, so that it only ever takes off its own. `plan_list`
decides the adds (within the list's cap, in AniList's order) and the removals.

`Owned` keeps three sets: `added` (confirmed on Trakt), `pending` (sent, not yet
confirmed: a crash after the post and before the bookkeeping must not make them look
like the person's own) and `declined` (anitrakt had put them there and they are gone
while AniList still wants them: the person took them off on Trakt, or Trakt did once
they were watched, so anitrakt does not put them back until AniList stops wanting them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from anitrakt.domain.anilist import MediaListEntry
from anitrakt.domain.trakt_lists import ItemRef
from anitrakt.domain.values import TraktType

PLANNING, DROPPED = "PLANNING", "DROPPED"
# Statuses of an entry being watched: its Trakt show is neither planned nor dropped.
WATCHING = frozenset({"CURRENT", "REPEATING"})


@dataclass(frozen=True, slots=True)
class Owned:
    """What anitrakt put on one Trakt list (see the module docstring)."""

    added: frozenset[ItemRef] = frozenset()
    pending: frozenset[ItemRef] = frozenset()
    declined: frozenset[ItemRef] = frozenset()

    def to_json(self) -> dict[str, list[list[str | int]]]:
        return {
            name: [item.to_json() for item in sorted(getattr(self, name))]
            for name in ("added", "pending", "declined")
        }

    @classmethod
    def from_json(cls, value: Any) -> Owned:
        """Back from `to_json`; what does not read is left out (never guessed)."""
        value = value if isinstance(value, dict) else {}

        def items(name: str) -> frozenset[ItemRef]:
            raw = value.get(name)
            parsed = (ItemRef.from_json(v) for v in (raw if isinstance(raw, list) else []))
            return frozenset(item for item in parsed if item is not None)

        return cls(items("added"), items("pending"), items("declined"))


@dataclass(frozen=True, slots=True)
class Wanted:
    """An item AniList wants on the list, and the entry that wants it."""

    item: ItemRef
    anilist_id: int
    title: str


@dataclass(frozen=True, slots=True)
class Unlisted:
    """An entry that wants an item on the list but cannot have one, and why."""

    anilist_id: int
    title: str
    reason: str


@dataclass(frozen=True, slots=True)
class ListPlan:
    add: tuple[Wanted, ...] = ()
    remove: tuple[ItemRef, ...] = ()
    # Wanted but not added: over the cap, or declined by the person.
    over_cap: tuple[Wanted, ...] = ()
    declined: tuple[Wanted, ...] = ()
    # Already on the list (the person's own or anitrakt's): nothing to do.
    unchanged: int = 0
    # The bookkeeping once reconciled with what Trakt holds, before this plan's writes.
    owned: Owned = field(default_factory=Owned)


def reconcile(owned: Owned, on_trakt: frozenset[ItemRef], wanted: frozenset[ItemRef]) -> Owned:
    """`owned` as Trakt's list now proves it (the module docstring's three sets)."""
    confirmed = (owned.added | owned.pending) & on_trakt
    gone = owned.added - on_trakt
    declined = (owned.declined | (gone & wanted)) - on_trakt
    return Owned(frozenset(confirmed), frozenset(), frozenset(declined & wanted))


def plan_list(
    wanted: Sequence[Wanted],
    on_trakt: frozenset[ItemRef],
    owned: Owned,
    *,
    count: int,
    limit: int | None,
) -> ListPlan:
    """The adds and removals that make the list what AniList wants, anitrakt's own only.

    `count` is how many items the list holds in all and `limit` its cap (None: none);
    removals are counted first, then adds fill what is free in `wanted`'s order, and
    what does not fit is reported, never sent (a 420 would refuse the whole post).
    """
    wanted_items = frozenset(w.item for w in wanted)
    current = reconcile(owned, on_trakt, wanted_items)
    remove = tuple(sorted(current.added - wanted_items))
    free = None if limit is None else max(limit - (count - len(remove)), 0)
    add: list[Wanted] = []
    over_cap: list[Wanted] = []
    declined: list[Wanted] = []
    unchanged = 0
    for want in wanted:
        if want.item in on_trakt:
            unchanged += 1
        elif want.item in current.declined:
            declined.append(want)
        elif free is not None and len(add) >= free:
            over_cap.append(want)
        else:
            add.append(want)
    return ListPlan(tuple(add), remove, tuple(over_cap), tuple(declined), unchanged, current)


def applied(
    owned: Owned,
    *,
    added: Iterable[ItemRef],
    removed: Iterable[ItemRef],
    sent: Iterable[ItemRef],
) -> Owned:
    """The bookkeeping once Trakt answered a write: `sent` are no longer pending, of
    them `added` are anitrakt's; `removed` are off the list."""
    gone = frozenset(removed)
    return Owned(
        (owned.added | frozenset(added)) - gone,
        owned.pending - frozenset(sent) - frozenset(added),
        owned.declined,
    )


# --- what AniList wants -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placed:
    """A list entry and the Trakt item it resolved to (None: unresolved, with why)."""

    entry: MediaListEntry
    item: ItemRef | None
    reason: str = ""


def library_order(entry: MediaListEntry) -> tuple[int, int]:
    """The sort key of AniList order: when the entry was added (oldest first), then id.

    Stable on purpose: planning something new never pushes an older plan off a full
    watchlist.
    """
    return (entry.created_at, entry.media.id)


def _watched_items(placed: Iterable[Placed]) -> frozenset[ItemRef]:
    return frozenset(p.item for p in placed if p.item is not None and p.entry.status in WATCHING)


def _wanted(
    placed: Sequence[Placed], status: str, *, shows_only: bool
) -> tuple[list[Wanted], list[Unlisted]]:
    watching = _watched_items(placed)
    wanted: dict[ItemRef, Wanted] = {}
    unlisted: list[Unlisted] = []
    for p in sorted(placed, key=lambda p: library_order(p.entry)):
        entry = p.entry
        if entry.status != status:
            continue
        title = entry.media.title
        if p.item is None:
            unlisted.append(Unlisted(entry.media.id, title, p.reason or "not mapped to Trakt"))
        elif shows_only and p.item.kind is not TraktType.SHOW:
            unlisted.append(Unlisted(entry.media.id, title, "Trakt drops shows, not movies"))
        elif p.item in watching:
            unlisted.append(
                Unlisted(entry.media.id, title, "another entry of the same Trakt show is watched")
            )
        else:
            wanted.setdefault(p.item, Wanted(p.item, entry.media.id, title))
    return list(wanted.values()), unlisted


def watchlist_wanted(placed: Sequence[Placed]) -> tuple[list[Wanted], list[Unlisted]]:
    """PLANNING entries' shows and movies, in AniList order, each once.

    A show that another entry of the list is watching (CURRENT, REPEATING) is not
    wanted: it is not a plan any more.
    """
    return _wanted(placed, PLANNING, shows_only=False)


def dropped_wanted(placed: Sequence[Placed]) -> tuple[list[Wanted], list[Unlisted]]:
    """DROPPED entries' shows, each once; not one that another entry is watching."""
    return _wanted(placed, DROPPED, shows_only=True)
