"""`anitrakt sync extras` at a terminal, against the fakes as real servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from cli_runner import Invoke, ok, served_cli
from extras_world import DROPPED_SHOW, OWN_DROPPED, library
from sync_world import World


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = World(sessions, settings, real_servers=True)
    library(w)
    return w


@pytest.fixture
def invoke(
    world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invoke]:
    monkeypatch.chdir(tmp_path)
    # Two features on: one write each at Trakt's 1 write/s.
    with served_cli(world, settings, SYNC_RATINGS="true", SYNC_DROPPED="true") as run:
        yield run


def test_preview_then_run_then_nothing_left(world: World, invoke: Invoke) -> None:
    preview = json.loads(ok(invoke("sync", "extras", "--preview", "--json")))
    assert [(f["feature"], f["enabled"]) for f in preview["extras"]] == [
        ("ratings", True),
        ("watchlist", False),
        ("dropped", True),
        ("rewatches", False),
    ]
    assert world.trakt.dropped_shows == {OWN_DROPPED}

    table = ok(invoke("sync", "extras"))

    assert "ratings: wrote 3" in table
    assert "Trakt drops shows, not movies" in table
    assert world.trakt.dropped_shows == {OWN_DROPPED, DROPPED_SHOW}
    again = json.loads(ok(invoke("sync", "extras", "--json")))
    assert [f["written"] for f in again["extras"]] == [0, 0]
