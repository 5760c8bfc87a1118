"""The `anitrakt` command: thin like the routes — parse, call one use case, render.

Commands live by meaning (`server`, `status`, `mappings`, `sync`); this module only
puts them together. Quiet by default: only warnings reach stderr, `-v` shows what the
libraries say (every HTTP request, every migration step).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from anitrakt import __version__
from anitrakt.cli import mappings, placement, server, status, sync
from anitrakt.cli.common import err
from anitrakt.errors import AnitraktError

app = typer.Typer(
    name="anitrakt",
    help="Keep Trakt watch history in step with an AniList anime list.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"anitrakt {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Say more (-vv: debug).")
    ] = 0,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Keep Trakt watch history in step with an AniList anime list."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.getLogger().setLevel(level)
    # Alembic and httpx announce every migration step and request at INFO.
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(level if verbose else logging.WARNING)


app.command()(server.serve)
app.command()(server.healthcheck)
app.add_typer(server.db_app, name="db")
app.add_typer(server.token_app, name="token")
app.command()(status.status)
app.command()(status.doctor)
app.command()(status.logs)
app.command()(status.progress)
app.command("mappings")(mappings.mappings)
app.command("map")(mappings.map_entry)
app.command("unmap")(mappings.unmap)
app.command("unmapped")(mappings.unmapped)
app.add_typer(placement.review_app, name="review")
app.command("explain")(placement.explain)
app.add_typer(mappings.override_app, name="override")
app.add_typer(mappings.refresh_app, name="refresh")
app.add_typer(sync.sync_app, name="sync")
app.add_typer(sync.auth_app, name="auth")


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        app(prog_name="anitrakt")
    except AnitraktError as exc:  # raised before a command's own handler (e.g. settings)
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        sys.exit(1)
