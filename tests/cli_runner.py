"""The CLI run in-process against a World whose fakes are real servers (tests/cli/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from typer.testing import CliRunner, Result

from anitrakt.cli import app
from anitrakt.config import Settings
from sync_world import World

# Every setting, cleared, so the developer's own environment never leaks into a test.
SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]
Invoke = Callable[..., Result]


@contextmanager
def served_cli(world: World, settings: Settings, **extra_env: str) -> Iterator[Invoke]:
    """`invoke("sync", "full")` runs `anitrakt sync full` with the world's upstream URLs,
    the test database and `extra_env` (e.g. SYNC_RATINGS="true")."""
    runner = CliRunner()
    with world.serve() as upstreams:
        env: dict[str, str | None] = dict.fromkeys(SETTINGS_VARIABLES)
        env.update(upstreams)
        env["DATABASE_URL"] = settings.database_url
        env.update(extra_env)

        def run(*args: str) -> Result:
            return runner.invoke(app, list(args), env=env)

        yield run


def ok(result: Result) -> str:
    """The command's output, once it is known to have succeeded."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout
