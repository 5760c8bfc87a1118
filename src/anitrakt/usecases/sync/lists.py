"""Planning → watchlist and dropped → hidden (docs/beyond-history.md), anitrakt's own only.

One read of the Trakt list, a plan (`domain.lists.plan_list`), then the writes:
removals first (they free room under the cap), then adds in AniList order. What
anitrakt put there is remembered in `extras:watchlist` / `extras:dropped`: adds are
written down as pending before they are sent and confirmed after, so a crash between
the two still knows them for its own; a re-run writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from anitrakt.clients.trakt_lists import TraktLists
from anitrakt.domain.extras import Extra, ExtraItem
from anitrakt.domain.lists import (
    DROPPED,
    PLANNING,
    WATCHING,
    Owned,
    Placed,
    Unlisted,
    Wanted,
    applied,
    dropped_wanted,
    plan_list,
    watchlist_wanted,
)
from anitrakt.domain.trakt_lists import ItemRef, ListedItems, ListWrite, watchlist_limit
from anitrakt.errors import AccountLimit
from anitrakt.store.extras import load_owned, save_owned
from anitrakt.usecases.sync.extras_context import (
    Extras,
    batches,
    effective_limit,
    learn_limit,
    stopping,
)
from anitrakt.usecases.sync.report import FeatureReport

Write = Callable[[Sequence[ItemRef]], ListWrite]


class _List:
    """How one feature reads and writes its Trakt list."""

    def __init__(
        self,
        read: Callable[[], ListedItems],
        add: Write,
        remove: Write,
        *,
        verbs: tuple[str, str],
        where: str,
    ) -> None:
        self.read, self.add, self.remove = read, add, remove
        self.verbs, self.where = verbs, where


def _placed(extras: Extras, statuses: set[str]) -> list[Placed]:
    placed = []
    for entry in extras.library.entries:
        if entry.status in statuses:
            item = extras.item_of(entry.media.id)
            if isinstance(item, ItemRef):
                placed.append(Placed(entry, item))
            else:
                placed.append(Placed(entry, None, item))
    return placed


def sync_watchlist(extras: Extras, part: FeatureReport) -> set[int]:
    """PLANNING entries onto the watchlist, within its cap; anitrakt's own off again."""
    lists = TraktLists(extras.deps.trakt)
    placed = _placed(extras, {PLANNING, *WATCHING})
    wanted, unlisted = watchlist_wanted(placed)
    way = _List(
        lists.watchlist,
        lists.add_to_watchlist,
        lists.remove_from_watchlist,
        verbs=("add", "remove"),
        where="the watchlist",
    )
    limit = effective_limit(extras.deps, part, watchlist_limit(extras.user()))
    _sync(extras, part, Extra.WATCHLIST, way, (placed, wanted, unlisted), limit)
    return set()


def sync_dropped(extras: Extras, part: FeatureReport) -> set[int]:
    """DROPPED entries' shows dropped on Trakt; un-dropped again only if anitrakt did it."""
    lists = TraktLists(extras.deps.trakt)
    placed = _placed(extras, {DROPPED, *WATCHING})
    wanted, unlisted = dropped_wanted(placed)
    way = _List(lists.dropped, lists.drop, lists.undrop, verbs=("drop", "undrop"), where="")
    _sync(extras, part, Extra.DROPPED, way, (placed, wanted, unlisted), None)
    return set()


def _sync(
    extras: Extras,
    part: FeatureReport,
    feature: Extra,
    way: _List,
    anilist: tuple[list[Placed], list[Wanted], list[Unlisted]],
    limit: int | None,
) -> None:
    """Plan against the Trakt list, then remove, then add (see the module docstring)."""
    placed, wanted, unlisted = anilist
    deps = extras.deps
    listed = way.read()
    with deps.sessions() as session:
        owned = load_owned(session, feature)
    plan = plan_list(wanted, listed.items, owned, count=listed.count, limit=limit)
    add_verb, remove_verb = way.verbs
    # Who wants each item, else which entry of the list maps to it (for a removal).
    entries = {p.item: (p.entry.media.id, p.entry.media.title) for p in placed if p.item}
    entries.update({w.item: (w.anilist_id, w.title) for w in wanted})

    def item(action: str, ref: ItemRef, note: str = "") -> ExtraItem:
        anilist_id, title = entries.get(ref, (None, ref.describe()))
        return ExtraItem(anilist_id, title, action, ref.describe(), note)

    adds = [item(add_verb, w.item) for w in plan.add]
    removes = [item(remove_verb, ref, "no longer wanted by AniList") for ref in plan.remove]
    part.left = [ExtraItem(u.anilist_id, u.title, "leave", "—", u.reason) for u in unlisted]
    full = f"{way.where or 'the list'} is full ({limit:,} items)" if limit is not None else ""
    part.left += [item("leave", w.item, f"did not fit: {full}") for w in plan.over_cap]
    part.left += [
        item("leave", w.item, f"taken off {way.where or 'Trakt'} since anitrakt put it there")
        for w in plan.declined
    ]
    part.unchanged = plan.unchanged
    if extras.dry_run:
        part.writes = removes + adds
        return
    owned = plan.owned
    if plan.remove:
        way.remove(plan.remove)  # not found: not there any more, which is the aim
        owned = applied(owned, added=(), removed=plan.remove, sent=())
        part.writes += removes
        part.written += len(plan.remove)
    # Written down before they are sent: a crash after the post still knows them as ours.
    owned = Owned(owned.added, frozenset(w.item for w in plan.add), owned.declined)
    _save(extras, feature, owned)
    for batch in batches(plan.add):
        if stopping(deps):
            part.left += [
                item("leave", w.item, "not sent: anitrakt is shutting down") for w in batch
            ]
            break
        refs = [w.item for w in batch]
        try:
            result = way.add(refs)
        except AccountLimit as exc:
            learn_limit(part, exc)
            raise
        done = [r for r in refs if r not in result.not_found]
        owned = applied(owned, added=done, removed=(), sent=refs)
        _save(extras, feature, owned)
        part.writes += [item(add_verb, r) for r in done]
        part.left += [item("leave", r, "not found on Trakt") for r in result.not_found]
        part.written += len(done)


def _save(extras: Extras, feature: Extra, owned: Owned) -> None:
    with extras.deps.sessions.begin() as session:
        save_owned(session, feature, owned)
