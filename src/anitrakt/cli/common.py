"""What every command shares: the consoles, one error line, the runtime, JSON, times.

Kept light on purpose: a command imports its use cases when it runs, so `anitrakt
status` does not pay for the web app, the upstream clients or Alembic.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from anitrakt.domain.instants import parse_instant
from anitrakt.domain.secrets import Masker
from anitrakt.errors import AnitraktError

if TYPE_CHECKING:
    from anitrakt.config import Settings
    from anitrakt.usecases.container import Runtime

P = ParamSpec("P")
R = TypeVar("R")

out = Console()
err = Console(stderr=True)
# Every configured secret, once settings are loaded: never printed, even in an error.
masker = Masker()

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line on stderr and return the exit to raise."""
    err.print(
        f"[bold red]error:[/] {masker.mask(message)}", highlight=False, markup=True, soft_wrap=True
    )
    return typer.Exit(code)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors (and a busy or unreachable database) into one line and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AnitraktError as exc:
            raise fail(exc.message) from None
        except Exception as exc:
            from anitrakt.usecases.database import DATABASE_ERRORS, describe

            if isinstance(exc, DATABASE_ERRORS):
                raise fail(f"database error: {describe(exc)}") from None
            from sqlalchemy.exc import SQLAlchemyError

            if isinstance(exc, SQLAlchemyError):
                raise fail(f"database error: {describe(exc)}") from None
            raise

    return wrapper


def load(**overrides: Any) -> Settings:
    """The settings, with every secret they hold registered for masking."""
    from anitrakt.config import load_settings

    settings = load_settings(**overrides)
    for secret in settings.secret_values():
        masker.add(secret)
    return settings


@contextmanager
def open_runtime(settings: Settings | None = None) -> Iterator[Runtime]:
    """The process container, the schema brought up to date first."""
    from anitrakt.usecases import database
    from anitrakt.usecases.container import Runtime

    runtime = Runtime.open(settings or load())
    try:
        database.ensure_current(runtime)
        yield runtime
    finally:
        runtime.close()


def print_json(value: Any) -> None:
    """`value` (a pydantic model, a list of them, or plain data) as indented JSON."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    typer.echo(json.dumps(value, indent=2))


def local_time(value: Any) -> str:
    """An instant in this machine's time zone, for people: `2026-12-01 09:30 CET`."""
    moment = parse_instant(value)
    if moment is None:
        return "Never"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")
