"""The list routes render JSON without a model per row; the shape stays the models'.

`/api/logs` and `/api/progress` answer what `list[LogBody]` and `ProgressPage` would
(the OpenAPI document still names those), rows of every kind included: non-ASCII
text, quotes, a missing title or timestamp, an instant that is not UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from pydantic import TypeAdapter

from anitrakt.domain.values import LogLevel
from anitrakt.schemas.common import LogBody, ProgressPage, logs_json, progress_page_json
from anitrakt.usecases.logs import LogEntry
from anitrakt.usecases.progress import ProgressEntry
from anitrakt.usecases.progress import ProgressPage as ProgressPageValue

AT = datetime(2026, 11, 30, 21, 5, 9, 120034, tzinfo=UTC)
ELSEWHERE = timezone(timedelta(hours=9))


def test_logs_json_is_what_the_log_model_renders() -> None:
    entries = [
        LogEntry(3, 'Trakt said "no" to 進撃の巨人 \\ again', LogLevel.ERROR, AT),
        LogEntry(2, "synced 12 plays", LogLevel.INFO, AT.astimezone(ELSEWHERE)),
        LogEntry(1, "", LogLevel.WARN, AT.replace(microsecond=0)),
    ]
    expected = TypeAdapter(list[LogBody]).dump_json([LogBody.of(e) for e in entries])
    assert json.loads(logs_json(entries)) == json.loads(expected)
    assert json.loads(logs_json([])) == []


def test_progress_json_is_what_the_page_model_renders() -> None:
    page = ProgressPageValue(
        count=7,
        items=[
            ProgressEntry(21, 3, AT, "Frieren: Beyond Journey’s End"),
            ProgressEntry(5, 12, AT.astimezone(ELSEWHERE), None),
            ProgressEntry(9, 0, None, None),
        ],
    )
    expected = ProgressPage.of(page).model_dump_json()
    assert json.loads(progress_page_json(page)) == json.loads(expected)
