"""Mapping-source routes: refresh Fribb / Otaku / anibridge, or with `?check=1` only report.

GET refreshes too (dashboards and cron jobs use GET, README "HTTP API"); both sit behind
the API token like every mutating route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from anitrakt.domain.values import SourceName
from anitrakt.schemas.sources import (
    AnibridgeCheckBody,
    CheckBody,
    FribbCheckBody,
    OtakuCheckBody,
    RefreshBody,
    check_body,
)
from anitrakt.usecases.sources.refresh import refresh_source, source_report
from anitrakt.web.deps import RuntimeDep
from anitrakt.web.routing import api_router, get_and_post

router = api_router(
    400,
    401,
    described={
        409: "a refresh of this source is already running",
        502: "the source failed or is not the expected format",
    },
)

CheckQuery = Annotated[
    bool, Query(description="only report count and last refresh times; download nothing")
]


def _answer(runtime: RuntimeDep, source: SourceName, check: bool) -> RefreshBody | CheckBody:
    if check:
        return check_body(source_report(runtime, source))
    return RefreshBody.of(refresh_source(runtime, source))


def refresh_fribbs(runtime: RuntimeDep, check: CheckQuery = False) -> RefreshBody | CheckBody:
    """Refresh Fribb's anime list from FRIBBS_URL (or, with `check`, report on it)."""
    return _answer(runtime, SourceName.FRIBB, check)


def refresh_otaku(runtime: RuntimeDep, check: CheckQuery = False) -> RefreshBody | CheckBody:
    """Refresh Otaku's mapping database from OTAKU_URL (or, with `check`, report on it)."""
    return _answer(runtime, SourceName.OTAKU, check)


def refresh_anibridge(runtime: RuntimeDep, check: CheckQuery = False) -> RefreshBody | CheckBody:
    """Refresh anibridge-mappings (episode ranges and ids) from ANIBRIDGE_URL; a release
    whose `stats.json` shows no rebuild is not downloaded (or, with `check`, report on it)."""
    return _answer(runtime, SourceName.ANIBRIDGE, check)


get_and_post(router, "/refresh-fribbs", refresh_fribbs, response_model=RefreshBody | FribbCheckBody)
get_and_post(router, "/refresh-otaku", refresh_otaku, response_model=RefreshBody | OtakuCheckBody)
get_and_post(
    router, "/refresh-anibridge", refresh_anibridge, response_model=RefreshBody | AnibridgeCheckBody
)
