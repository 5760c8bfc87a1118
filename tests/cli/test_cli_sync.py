"""`anitrakt sync|auth|override|unmapped` at a terminal, against the fakes as real servers."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from anitrakt.cli import app
from anitrakt.config import Settings
from anitrakt.store.progress import get_progress
from cli_runner import SETTINGS_VARIABLES, Invoke, ok, served_cli
from sync_world import AOT, AOT_TRAKT, LOST, SPLIT, SPLIT_TRAKT, World
from waiting import wait_until


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings, real_servers=True).small_library()


@pytest.fixture
def invoke(
    world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invoke]:
    monkeypatch.chdir(tmp_path)
    with served_cli(world, settings) as run:
        yield run


def test_dry_run_then_run_then_nothing_left(world: World, invoke: Invoke) -> None:
    world.watched(SPLIT, "1 - 24")
    world.watched(LOST, "1 - 2")

    dry = json.loads(ok(invoke("sync", "full", "--dry-run", "--json")))
    assert dry["dryRun"] is True
    assert len(dry["plays"]) == 24
    assert world.history() == Counter()

    table = ok(invoke("sync", "full"))
    assert "posted" in table
    assert "unmapped: Nobody Knows (AniList 600)" in table
    assert world.history() == Counter(
        {(SPLIT_TRAKT, s, n): 1 for s in (1, 2) for n in range(1, 13)}
    )
    with world.sessions() as session:
        assert get_progress(session, SPLIT) == 24

    again = json.loads(ok(invoke("sync", "full", "--json")))
    assert again["added"] == 0
    unmapped = json.loads(ok(invoke("unmapped", "--json")))
    assert [i["anilistId"] for i in unmapped["items"]] == [LOST]


def test_watching_sync_and_single_show(world: World, invoke: Invoke) -> None:
    world.anilist.add_entry(world.user.id, AOT, progress=3, status="CURRENT")

    output = ok(invoke("sync", "watching", "--dry-run"))
    assert "S3E13–S3E15" in output
    ok(invoke("sync", "watching"))
    assert world.history() == Counter({(AOT_TRAKT, 3, n): 1 for n in (13, 14, 15)})

    shown = ok(invoke("sync", "show", "https://anilist.co/anime/104578/"))
    assert "61 episodes cached" in shown


def test_overrides_from_the_terminal(invoke: Invoke) -> None:
    ok(invoke("override", "set", str(AOT_TRAKT), "59", "0", "1"))
    listed = json.loads(ok(invoke("override", "list", "--json")))
    assert listed == [{"traktId": AOT_TRAKT, "abs": 59, "season": 0, "episode": 1}]

    bad = invoke("override", "set", str(AOT_TRAKT), "0", "1", "1")
    assert bad.exit_code == 1
    assert "abs" in bad.stderr
    assert "Traceback" not in bad.output

    ok(invoke("override", "rm", str(AOT_TRAKT), "59"))
    missing = invoke("override", "rm", str(AOT_TRAKT), "59")
    assert missing.exit_code == 1
    assert "no override" in missing.stderr


def test_auth_with_a_pasted_code(world: World, invoke: Invoke) -> None:
    code = world.trakt.create_authorization_code()

    output = ok(invoke("auth", "trakt", "--code", code))

    assert f"Trakt connected as {world.trakt.username}" in output


def test_auth_with_a_device_code(world: World, invoke: Invoke) -> None:
    world.trakt.device_interval = 1

    def approve_when_shown() -> None:
        wait_until(lambda: bool(world.trakt.device_user_codes), what="the device code shown")
        codes: list[Any] = world.trakt.device_user_codes
        world.trakt.approve_device(codes[0])

    approver = threading.Thread(target=approve_when_shown)
    approver.start()
    output = ok(invoke("auth", "trakt"))
    approver.join()

    assert "enter the code" in output
    assert f"Trakt connected as {world.trakt.username}" in output


def test_a_sync_without_trakt_credentials_names_the_variable(
    world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env: dict[str, str | None] = dict.fromkeys(SETTINGS_VARIABLES)
    env["DATABASE_URL"] = settings.database_url

    result = CliRunner().invoke(app, ["sync", "full"], env=env)

    assert result.exit_code == 1
    assert "TRAKT_CLIENT_ID" in result.stderr
    assert "Traceback" not in result.output


def test_a_trakt_refusal_is_one_clear_line(world: World, invoke: Invoke) -> None:
    world.watched(SPLIT, "1 - 24")
    world.trakt.account_locked = True

    result = invoke("sync", "full")

    assert result.exit_code == 1
    assert "the Trakt account is locked (HTTP 423)" in result.output
    assert "support.trakt.tv" in result.output
    assert "Traceback" not in result.output
    assert world.history() == Counter()
