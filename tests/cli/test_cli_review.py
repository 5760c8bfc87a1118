"""`anitrakt review`, `review fix` and `explain` at a terminal, against real fake servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store.anibridge import add_ranges
from cli_runner import Invoke, ok, served_cli
from sync_world import JJK_2, JJK_TMDB, JJK_TRAKT, World


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    w = World(sessions, settings, real_servers=True)
    w.jujutsu_kaisen(dated=False)
    return w


@pytest.fixture
def invoke(
    world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invoke]:
    monkeypatch.chdir(tmp_path)
    with served_cli(world, settings) as run:
        yield run


def test_held_entries_are_shown_and_one_command_fixes_them(world: World, invoke: Invoke) -> None:
    world.watched(JJK_2, "1 - 2")

    synced = ok(invoke("sync", "full"))
    assert "held for review: Jujutsu Kaisen Season 2" in synced
    listed = ok(invoke("review"))
    assert str(JJK_2) in listed
    assert "Jujutsu" in listed
    assert "anitrakt review fix" in listed
    as_json = json.loads(ok(invoke("review", "--json")))
    assert [(i["anilistId"], i["episodes"]) for i in as_json["items"]] == [(JJK_2, [1, 2])]

    fixed = ok(invoke("review", "fix", str(JJK_2), "--season", "1", "--episode", "25"))

    assert "season 1 after 24 episodes" in fixed
    assert json.loads(ok(invoke("review", "--json")))["count"] == 0
    ok(invoke("sync", "full"))
    assert sorted((k[1], k[2]) for k in world.history() if k[0] == JJK_TRAKT) == [(1, 25), (1, 26)]


def test_a_bad_fix_names_the_problem_without_a_traceback(world: World, invoke: Invoke) -> None:
    world.watched(JJK_2, "1")
    ok(invoke("sync", "full"))

    result = invoke("review", "fix", str(JJK_2), "--season", "1", "--episode", "99")

    assert result.exit_code != 0
    assert "no episode 99" in result.output
    assert "Traceback" not in result.output


def test_explain_prints_every_episode_and_the_disagreement(world: World, invoke: Invoke) -> None:
    # anibridge one off (24–46) against Fribb's `s2`: they place it differently.
    with world.sessions.begin() as session:
        add_ranges(session, [(JJK_2, '{"tmdb_show:95479:s1":{"1-23":"24-46"}}', JJK_TMDB, None)])

    text = ok(invoke("explain", str(JJK_2), "--episodes", "3"))

    assert "Jujutsu Kaisen Season 2" in text
    assert "S1E24" in text
    assert "anibridge" in text
    body = json.loads(ok(invoke("explain", str(JJK_2), "--json")))
    assert [e["trakt"] for e in body["episodes"][:2]] == ["S1E24", "S1E25"]
    assert {e["rule"] for e in body["episodes"]} == {"anibridge"}
