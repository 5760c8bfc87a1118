"""The dashboard's small charts as geometry (drawn as inline SVG by the template). Pure.

`daily_bars`: one bar per day, scaled to the busiest day; `share_segments`: one stacked
bar split by state. Coordinates are in the SVG's own units (`viewBox`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

BAR_AREA_WIDTH = 600.0
BAR_AREA_HEIGHT = 100.0
BAR_GAP = 2.0


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


def daily_bars(counts: Sequence[tuple[date, int]]) -> list[Bar]:
    """Bars for (day, plays), oldest first; a day without plays gets a 0-high bar."""
    if not counts:
        return []
    top = max(count for _, count in counts) or 1
    step = BAR_AREA_WIDTH / len(counts)
    bars = []
    for index, (day, count) in enumerate(counts):
        height = round(BAR_AREA_HEIGHT * count / top, 1)
        plays = "1 play" if count == 1 else f"{count:,} plays"
        bars.append(
            Bar(
                x=round(index * step, 1),
                y=round(BAR_AREA_HEIGHT - height, 1),
                width=round(max(step - BAR_GAP, 1.0), 1),
                height=height,
                label=f"{plays} on {day.isoformat()}",
            )
        )
    return bars


def share_segments(counts: Mapping[str, int]) -> list[Bar]:
    """One segment per state with entries, left to right in `counts`' order, widths summing
    to the whole bar; labelled "ok: 12 (40%)"."""
    total = sum(counts.values())
    if total <= 0:
        return []
    segments, x = [], 0.0
    for state, count in counts.items():
        if count <= 0:
            continue
        width = round(BAR_AREA_WIDTH * count / total, 1)
        share = round(100 * count / total)
        segments.append(
            Bar(x=x, y=0.0, width=width, height=24.0, label=f"{state}: {count} ({share}%)")
        )
        x = round(x + width, 1)
    return segments
