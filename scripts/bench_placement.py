"""Benchmark: how right placement is on the real curated sample (not a test).

    .venv/bin/python scripts/bench_placement.py [--open-run 24]

Reference: for every AniList entry the anibridge sample
(../shared/data/mappings/anibridge-mappings-edits-v3.min.json) maps to TMDB seasons,
each AniList episode its `tmdb_show` lines cover is where those lines say. The Trakt
show is synthetic, one per TMDB show: the seasons and episode numbers the union of
every entry's targets for that show implies (a season numbered on from the previous
one's last target, as TMDB numbers One Piece, keeps that numbering and gets
`number_abs`; seasons no entry targets are missing). Every entry is assumed resolved
to that show. Open lines (`1089-`) are taken to run `--open-run` episodes.

Three ways to place each reference episode, each counted right / wrong / held (pending
or needs review) by the rule that placed it:

(a) old: the first round's rule (`old_translate`) with Fribb's season hint
    (../shared/data/mappings/fribb-anime-list-full-derived.json), else absolute;
(b) new chain without anibridge: the same Fribb hints through the rule chain — a
    missing season is held, nothing overflows into an episode another entry's hint
    claims. No air dates: the sample has none, so rule 4 cannot be measured here;
(c) new chain with anibridge: the lines themselves, looked up as Trakt lists them
    (judged on every Trakt episode an AniList episode spans, ratios included).

Claims come from every entry on the show: those with lines (their length from the
lines) and those only Fribb puts there (length unknown, so their first episode).

Wrong plays must be 0 for (c). Episodes of those entries that no line covers have no
reference; the last table says what each way would do with them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anitrakt.domain.anibridge import (
    EntryRanges,
    Provider,
    RangeHit,
    locate,
    parse_anilist_key,
    parse_entry,
)
from anitrakt.domain.claims import with_claims
from anitrakt.domain.episodes import (
    EpisodeList,
    EpisodeRef,
    Miss,
    episode_at_abs,
    hinted_abs,
    special_at,
)
from anitrakt.domain.mapping_source import SourceEntry
from anitrakt.domain.placement import EntryFacts, Placed, ShowFacts, place_episodes
from anitrakt.domain.values import SeasonHint, SourceName
from anitrakt.domain.values import SeasonHint as SourceHint
from anitrakt.mappings.fribb import parse_fribb

MAPPINGS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mappings"
ANIBRIDGE = MAPPINGS / "anibridge-mappings-edits-v3.min.json"
FRIBB = MAPPINGS / "fribb-anime-list-full-derived.json"
Target = tuple[int, int]


@dataclass
class ShowEntry:
    anilist_id: int
    ranges: EntryRanges
    count: int
    reference: dict[int, tuple[Target, ...]] = field(default_factory=dict)
    uncovered: tuple[int, ...] = ()


@dataclass
class Tally:
    right: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)

    def add(self, rule: str, outcome: str) -> None:
        getattr(self, outcome)[rule] += 1


def load_entries(open_run: int) -> dict[int, list[ShowEntry]]:
    """Entries with `tmdb_show` lines, by TMDB show id, with their reference episodes."""
    raw = json.loads(ANIBRIDGE.read_text(encoding="utf-8"))
    shows: dict[int, list[ShowEntry]] = defaultdict(list)
    for key, value in raw.items():
        anilist_id = parse_anilist_key(key)
        if anilist_id is None:
            continue
        ranges = parse_entry(anilist_id, value, [Provider.TMDB_SHOW])
        for show_id in {t.key.id for t in ranges.targets if t.lines}:
            lines = ranges.keys_for(Provider.TMDB_SHOW, show_id)
            ends = [
                line.source.end or line.source.start + open_run - 1
                for t in lines
                for line in t.lines
            ]
            item = ShowEntry(anilist_id, EntryRanges(anilist_id, lines), max(ends))
            uncovered = []
            for e in range(1, item.count + 1):
                hit = locate(lines, e)
                if isinstance(hit, RangeHit):
                    assert hit.season is not None
                    item.reference[e] = tuple((hit.season, n) for n in hit.episodes)
                else:
                    uncovered.append(e)
            item.uncovered = tuple(uncovered)
            shows[int(show_id)].append(item)
    return shows


def synthetic_show(show_id: int, entries: list[ShowEntry]) -> ShowFacts:
    """The Trakt episode list the union of every entry's targets implies."""
    named: dict[int, set[int]] = defaultdict(set)
    for item in entries:
        for targets in item.reference.values():
            for season, number in targets:
                named[season].add(number)
    regular = sorted(season for season in named if season > 0)
    # TMDB numbers some long runners on across seasons (One Piece S2E62): then a
    # season's first target follows the previous season's last one.
    absolute = any(
        season - 1 in named and min(named[season]) == max(named[season - 1]) + 1
        for season in regular[1:]
    )
    refs: list[EpisodeRef] = []
    for season in sorted(named):
        numbers = named[season]
        numbered_on = absolute and season > 0 and season != regular[0]
        first = min(numbers) if numbered_on else 1
        for number in range(first, max(numbers) + 1):
            number_abs = number if absolute and season > 0 else None
            refs.append(EpisodeRef(season, number, number_abs, len(refs) + 1))
    return ShowFacts(EpisodeList.from_episodes(refs), tmdb_id=show_id)


def fribb_hints() -> dict[int, SourceEntry]:
    return {e.anilist_id: e for e in parse_fribb(FRIBB.read_bytes()).entries}


def hint_of(entry: SourceEntry | None) -> SourceHint | None:
    if entry is None or entry.season is None:
        return None
    return SourceHint(entry.season, entry.episode_offset or 0, SourceName.FRIBB)


def judge(placed: tuple[Target, ...] | None, reference: tuple[Target, ...], *, whole: bool) -> str:
    """right / wrong / held; the old ways post one episode, so only the first is judged."""
    if placed is None:
        return "held"
    if not whole:
        placed, reference = placed[:1], reference[:1]
    return "right" if placed == reference else "wrong"


def run(open_run: int) -> None:
    started = time.perf_counter()
    shows = load_entries(open_run)
    fribb = fribb_hints()
    fribb_by_show: dict[int, list[int]] = defaultdict(list)
    for source in fribb.values():
        if source.tmdb_id is not None and not source.is_movie:
            fribb_by_show[source.tmdb_id].append(source.anilist_id)
    tallies = {name: Tally() for name in VARIANTS}
    no_reference: dict[str, Counter[str]] = {name: Counter() for name in VARIANTS}
    other_show = entries_total = episodes_total = 0
    for show_id, entries in shows.items():
        base = synthetic_show(show_id, entries)
        with_lines = {i.anilist_id for i in entries}
        # Entries only Fribb puts on this show claim too (their length is unknown: one).
        fribb_only = [
            (EntryFacts(i, source_hint=hint_of(fribb[i])), None)
            for i in fribb_by_show.get(show_id, [])
            if i not in with_lines
        ]
        facts_b = [
            (EntryFacts(i.anilist_id, source_hint=hint_of(fribb.get(i.anilist_id))), i.count)
            for i in entries
        ]
        facts_c = [
            (EntryFacts(i.anilist_id, None, hint_of(fribb.get(i.anilist_id)), i.ranges), i.count)
            for i in entries
        ]
        show_b = with_claims(base, facts_b + fribb_only)
        show_c = with_claims(base, facts_c + fribb_only)
        for item, (entry_b, _), (entry_c, _) in zip(entries, facts_b, facts_c, strict=True):
            entries_total += 1
            source = fribb.get(item.anilist_id)
            other_show += source is not None and source.tmdb_id not in (None, show_id)
            every = sorted([*item.reference, *item.uncovered])
            hint = entry_b.source_hint
            old_hint = None if hint is None else SeasonHint(hint.season, hint.offset)
            old_rule = "absolute" if hint is None else "fribb"
            outcomes = {
                "a": [(old_rule, old_translate(e, old_hint, base.episodes)) for e in every],
                "b": [_new(r, old_rule) for r in place_episodes(show_b, entry_b, every)],
                "c": [_new(r, old_rule) for r in place_episodes(show_c, entry_c, every)],
            }
            for name, results in outcomes.items():
                for e, (rule, placed) in zip(every, results, strict=True):
                    reference = item.reference.get(e)
                    if reference is None:
                        no_reference[name]["held" if placed is None else "posted"] += 1
                    else:
                        tallies[name].add(rule, judge(placed, reference, whole=name == "c"))
            episodes_total += len(item.reference)
    print_report(tallies, no_reference, len(shows), entries_total, episodes_total, other_show)
    print(f"\n(ran in {time.perf_counter() - started:.1f} s)")


Outcome = tuple[str, tuple[Target, ...] | None]
VARIANTS = ("a", "b", "c")


def old_translate(e: int, hint: SeasonHint | None, episodes: EpisodeList) -> tuple[Target] | None:
    """What the first round posted: the hint's arithmetic, a missing season counted
    absolutely, overflow wherever it falls; None when it posted nothing."""
    if hint is not None and hint.season == 0:
        found = special_at(episodes, e + hint.offset)
    else:
        abs_number = hinted_abs(e, hint, episodes)
        found = episode_at_abs(episodes, e if abs_number is None else abs_number)
    return None if isinstance(found, Miss) else ((found.season, found.number),)


def _new(result: Any, fallback_rule: str) -> Outcome:
    rule = result.rule.value if result.rule is not None else fallback_rule
    return rule, result.targets if isinstance(result, Placed) else None


def print_report(
    tallies: dict[str, Tally],
    no_reference: dict[str, Counter[str]],
    shows: int,
    entries: int,
    episodes: int,
    other_show: int,
) -> None:
    titles = {
        "a": "(a) old: first-round arithmetic + Fribb hint, else absolute",
        "b": "(b) new chain without anibridge (Fribb hints, claims, review)",
        "c": "(c) new chain with anibridge",
    }
    print(f"{entries} AniList entries mapped to {shows} TMDB shows; {episodes} reference episodes")
    print(f"({other_show} of those entries have a Fribb TMDB id for another show: resolution")
    print(" would differ there; every entry is placed on the anibridge show here)\n")
    for name, tally in tallies.items():
        print(titles[name])
        print(f"  {'rule':<10} {'right':>7} {'wrong':>7} {'held':>7}")
        rules = sorted(set(tally.right) | set(tally.wrong) | set(tally.held))
        for rule in rules:
            print(
                f"  {rule:<10} {tally.right[rule]:>7} {tally.wrong[rule]:>7} {tally.held[rule]:>7}"
            )
        right, wrong, held = (sum(c.values()) for c in (tally.right, tally.wrong, tally.held))
        share = 100 * right / max(right + wrong + held, 1)
        print(f"  {'total':<10} {right:>7} {wrong:>7} {held:>7}   {share:.1f}% right\n")
    print("episodes of those entries no line covers (no reference):")
    for name in ("a", "b", "c"):
        counts = no_reference[name]
        print(f"  ({name}) posted {counts['posted']:>5}   held {counts['held']:>5}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open-run", type=int, default=24)
    args = parser.parse_args()
    for path in (ANIBRIDGE, FRIBB):
        if not path.is_file():
            sys.exit(f"real mapping data not found: {path} (../shared/data is absent)")
    run(args.open_run)


if __name__ == "__main__":
    main()
