"""`serve`, `healthcheck`, `db upgrade|downgrade` and `token new`."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

import typer

from anitrakt.cli.common import cli_errors, err, load, open_runtime, out

db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
token_app = typer.Typer(help="The web app's API token (ANITRAKT_API_TOKEN).", no_args_is_help=True)

# 32 random bytes: 43 URL-safe characters, well over the 24 `serve` insists on.
TOKEN_BYTES = 32


@cli_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (ANITRAKT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (ANITRAKT_PORT).")] = None,
) -> None:
    """Run the web app and scheduler (applies migrations first)."""
    from anitrakt.config import check_serving
    from anitrakt.usecases.database import prepare_to_serve
    from anitrakt.web import server
    from anitrakt.web.app import create_app

    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["anitrakt_host"] = host
    if port is not None:
        overrides["anitrakt_port"] = port
    settings = load(**overrides)
    warnings = check_serving(settings)
    with open_runtime(settings) as runtime:
        for warning in warnings + prepare_to_serve(runtime):
            runtime.events.warn(warning)
    server.run_server(
        create_app(settings, scheduler=True),
        host=settings.anitrakt_host,
        port=settings.anitrakt_port,
    )


@cli_errors
def healthcheck(
    url: Annotated[
        str | None,
        typer.Option(help="The /readyz to ask (default: ANITRAKT_HOST/ANITRAKT_PORT)."),
    ] = None,
) -> None:
    """Ask the running server whether it is ready; exit 0 when it is, 1 otherwise."""
    from anitrakt.usecases.health import probe, readyz_url

    result = probe(url or readyz_url(load()))
    typer.echo(result.line)
    if not result.ready:
        raise typer.Exit(1)


def _migrate(step: str, revision: str) -> None:
    """Run one Alembic step on the configured database (no upgrade first)."""
    from anitrakt.usecases import database
    from anitrakt.usecases.container import Runtime

    runtime = Runtime.open(load())
    try:
        at = (
            database.upgrade(runtime, revision)
            if step == "up"
            else database.downgrade(runtime, revision)
        )
    finally:
        runtime.close()
    out.print(f"database at revision {at}")


@db_app.command("upgrade")
@cli_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: latest)."""
    _migrate("up", revision)


@db_app.command("downgrade")
@cli_errors
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision or 'base'.")],
) -> None:
    """Revert migrations down to REVISION ('base' drops every table)."""
    _migrate("down", revision)


@token_app.command("new")
def token_new() -> None:
    """Print a new random API token; only the token goes to stdout."""
    typer.echo(secrets.token_urlsafe(TOKEN_BYTES))
    err.print("set it as ANITRAKT_API_TOKEN and restart `anitrakt serve`", highlight=False)
