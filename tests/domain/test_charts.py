"""The dashboard charts' geometry: bars scaled to the busiest day, shares that fill the bar."""

from __future__ import annotations

from datetime import date

from anitrakt.domain.charts import BAR_AREA_HEIGHT, BAR_AREA_WIDTH, daily_bars, share_segments


def test_bars_scale_to_the_busiest_day_and_say_what_they_count() -> None:
    days = [(date(2026, 11, 29), 0), (date(2026, 11, 30), 1), (date(2026, 12, 1), 4)]

    bars = daily_bars(days)

    assert [b.height for b in bars] == [0.0, BAR_AREA_HEIGHT / 4, BAR_AREA_HEIGHT]
    assert [b.y + b.height for b in bars] == [BAR_AREA_HEIGHT] * 3  # all stand on the axis
    assert [b.label for b in bars] == [
        "0 plays on 2026-11-29",
        "1 play on 2026-11-30",
        "4 plays on 2026-12-01",
    ]
    assert bars[-1].x + bars[-1].width <= BAR_AREA_WIDTH
    assert daily_bars([]) == []
    assert [b.height for b in daily_bars([(date(2026, 12, 1), 0)])] == [0.0]


def test_shares_fill_the_bar_in_order_and_skip_empty_states() -> None:
    segments = share_segments({"ok": 3, "pending": 1, "needs review": 0, "unmapped": 1})

    assert [s.label for s in segments] == ["ok: 3 (60%)", "pending: 1 (20%)", "unmapped: 1 (20%)"]
    assert [s.x for s in segments] == [0.0, 360.0, 480.0]
    assert sum(s.width for s in segments) == BAR_AREA_WIDTH
    assert share_segments({"ok": 0}) == []
