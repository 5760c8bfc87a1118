"""The episode-range grammar of anibridge-mappings v3. Pure: text in, values out.

One mapping line says which episodes of the source (an AniList entry) are which
episodes of a target (a TMDB/TVDB season, a movie, …): `"source": "target"`.

- source: `x` (one episode), `x-y` (closed, inclusive) or `x-` (open: x and every
  later one). A source is one contiguous range; a comma there is malformed.
- target: a comma list of such ranges, read as one list of target episodes in the
  order written (`1,3` is episode 1 then episode 3; only the last may be open),
  optionally followed by a ratio `|n`:
  * `n > 0`: one source episode spans n target episodes (`1-4` → `1-8|2`);
  * `n < 0`: |n| source episodes make one target episode (`1-50` → `1-25|-2`);
  * `|0`: the line is dropped (the source says these episodes map to nothing).

When both sides are closed their lengths must agree with the ratio. A line whose
lengths agree only with the opposite sign (`1-2` → `36|2`: two AniList episodes, one
target episode) is read the way its lengths say — a few hand edits carry that slip —
and so is a single episode on one side with no ratio (`1` → `1-2`). Any other
disagreement, reversed bounds, episode 0 or text that is not the grammar makes the
line malformed: it is skipped and counted by the caller, never fatal.
docs/placement.md explains how placement uses these lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

# Episode numbers past this are not episodes (One Piece is past 1,100); the cap also
# keeps int() away from pathological digit strings.
MAX_EPISODE = 100_000
MAX_RATIO = 1_000
_BOUNDS = re.compile(r"\s*(\d{1,6})\s*(?:(-)\s*(\d{1,6})?\s*)?", re.ASCII)
_RATIO = re.compile(r"\s*([+-]?\d{1,4})\s*", re.ASCII)


class LineStatus(StrEnum):
    """How a mapping line read: usable, usable after fixing a slip, dropped or malformed."""

    OK = "ok"
    REINTERPRETED = "reinterpreted"
    DROPPED = "dropped"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Span:
    """Episodes `start`…`end` inclusive; `end` None means open (start and every later one)."""

    start: int
    end: int | None

    @property
    def is_open(self) -> bool:
        return self.end is None

    @property
    def length(self) -> int | None:
        return None if self.end is None else self.end - self.start + 1

    def contains(self, episode: int) -> bool:
        return episode >= self.start and (self.end is None or episode <= self.end)

    @property
    def text(self) -> str:
        if self.end is None:
            return f"{self.start}-"
        return str(self.start) if self.end == self.start else f"{self.start}-{self.end}"


@dataclass(frozen=True, slots=True)
class TargetSpans:
    """A target: episodes in the order its comma list gives them, and the ratio."""

    spans: tuple[Span, ...]
    ratio: int = 1

    @property
    def length(self) -> int | None:
        """How many target episodes the list names; None when its last span is open."""
        total = 0
        for span in self.spans:
            if span.length is None:
                return None
            total += span.length
        return total

    def at(self, position: int) -> int | None:
        """The target episode at 0-based `position` of the list, None past a closed end."""
        for span in self.spans:
            if span.length is None or position < span.length:
                return span.start + position
            position -= span.length
        return None

    @property
    def text(self) -> str:
        base = ",".join(span.text for span in self.spans)
        return base if self.ratio == 1 else f"{base}|{self.ratio}"


@dataclass(frozen=True, slots=True)
class RangeLine:
    """One usable `"source": "target"` line; `texts` is its normalised (source, target)."""

    source: Span
    target: TargetSpans
    texts: tuple[str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "texts", (self.source.text, self.target.text))

    def target_episodes(self, episode: int) -> tuple[int, ...]:
        """The target episodes source episode `episode` is; () when it is not covered."""
        if not self.source.contains(episode):
            return ()
        index = episode - self.source.start
        ratio = self.target.ratio
        if ratio > 0:
            found = (self.target.at(index * ratio + k) for k in range(ratio))
            return tuple(n for n in found if n is not None)
        number = self.target.at(index // -ratio)
        return () if number is None else (number,)

    @property
    def specificity(self) -> tuple[int, int]:
        """Sort key, smallest most specific: closed before open, then narrower, then later."""
        width = self.source.length
        return (1, -self.source.start) if width is None else (0, width)


def parse_span(text: str) -> Span | None:
    """`x`, `x-y` or `x-` as a Span; None when it is not one (or x > y, or episode 0)."""
    match = _BOUNDS.fullmatch(text)
    if match is None:
        return None
    start = int(match.group(1))
    if match.group(2) is None:
        end: int | None = start
    elif match.group(3) is None:
        end = None
    else:
        end = int(match.group(3))
    if not 1 <= start <= MAX_EPISODE or (end is not None and not start <= end <= MAX_EPISODE):
        return None
    return Span(start, end)


def _parse_target(text: str) -> tuple[TargetSpans | None, bool]:
    """(target, dropped): dropped is True for a `|0` target."""
    base, bar, ratio_text = text.partition("|")
    ratio = 1
    if bar:
        match = _RATIO.fullmatch(ratio_text)
        if match is None:
            return None, False
        ratio = int(match.group(1))
        if ratio == 0:
            return None, True
        if abs(ratio) > MAX_RATIO:
            return None, False
    spans: list[Span] = []
    for part in base.split(","):
        span = parse_span(part)
        if span is None or (spans and spans[-1].is_open):
            return None, False
        spans.append(span)
    return TargetSpans(tuple(spans), ratio), False


def _ratio_that_fits(source_length: int, target_length: int) -> int | None:
    """The ratio under which the two lengths agree, when one does."""
    if source_length == target_length:
        return 1
    if target_length % source_length == 0:
        return target_length // source_length
    # |n| source episodes per target episode (the last target may take fewer): the
    # smallest n that gives `target_length` targets is the only even split.
    n = -(-source_length // target_length)
    if n > 1 and -(-source_length // n) == target_length:
        return -n
    return None


def _fits(source_length: int, target_length: int, ratio: int) -> bool:
    if ratio > 0:
        return target_length == source_length * ratio
    return target_length == -(-source_length // -ratio)


def parse_line(source_text: object, target_text: object) -> tuple[RangeLine | None, LineStatus]:
    """Read one mapping line; the status says whether it was usable as written."""
    if not isinstance(source_text, str) or not isinstance(target_text, str):
        return None, LineStatus.MALFORMED
    return _parse_text_line(source_text, target_text)


# A release repeats the same few thousand lines ("1": "1" above all) across tens of
# thousands of entries; the values are immutable, so each distinct line is read once.
@lru_cache(maxsize=16_384)
def _parse_text_line(source_text: str, target_text: str) -> tuple[RangeLine | None, LineStatus]:
    source = parse_span(source_text)
    target, dropped = _parse_target(target_text)
    if dropped and source is not None:
        return None, LineStatus.DROPPED
    if source is None or target is None:
        return None, LineStatus.MALFORMED
    source_length, target_length = source.length, target.length
    if source_length is None or target_length is None:
        return RangeLine(source, target), LineStatus.OK
    if _fits(source_length, target_length, target.ratio):
        return RangeLine(source, target), LineStatus.OK
    fitting = _ratio_that_fits(source_length, target_length)
    plain = target.ratio == 1 and 1 in (source_length, target_length)
    if fitting is not None and (fitting == -target.ratio or plain):
        fixed = TargetSpans(target.spans, fitting)
        return RangeLine(source, fixed), LineStatus.REINTERPRETED
    return None, LineStatus.MALFORMED
