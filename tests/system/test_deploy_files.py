"""The compose files say what they promise (no compose engine runs here to try them).

The image itself is built and run by tests/test_container.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

import paths
from anitrakt.config import Settings

ROOT = paths.ROOT
REQUIRED = re.compile(r"^\$\{(?P<name>[A-Z_]+):\?.+\}$")
SETTINGS = {name.upper() for name in Settings.model_fields}


def _compose(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("name", ["compose.yaml", "compose.postgres.yaml"])
def test_the_app_requires_a_token_and_checks_its_health(name: str) -> None:
    app = _compose(name)["services"]["anitrakt"]

    token = REQUIRED.match(app["environment"]["ANITRAKT_API_TOKEN"])
    assert token is not None
    assert token["name"] == "ANITRAKT_API_TOKEN"
    assert "ANITRAKT_API_TOKEN is required" in (ROOT / name).read_text()
    assert app["healthcheck"]["test"] == ["CMD", "anitrakt", "healthcheck"]
    assert set(app["environment"]) <= SETTINGS
    assert app["build"] == "."


def test_sqlite_data_lives_in_a_named_volume() -> None:
    compose = _compose("compose.yaml")
    [mount] = compose["services"]["anitrakt"]["volumes"]
    volume, path = mount.split(":")
    assert path == "/data"
    assert volume in compose["volumes"]


def test_the_app_waits_for_a_healthy_postgres() -> None:
    compose = _compose("compose.postgres.yaml")
    postgres, app = compose["services"]["postgres"], compose["services"]["anitrakt"]

    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert app["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert app["environment"]["DATABASE_URL"].startswith("postgresql://anitrakt:")
    assert "@postgres:5432/anitrakt" in app["environment"]["DATABASE_URL"]
