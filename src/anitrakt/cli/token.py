"""`anitrakt token new`: a strong value for ANITRAKT_API_TOKEN."""

from __future__ import annotations

import secrets

import typer

from anitrakt.cli import err

token_app = typer.Typer(help="The web app's API token (ANITRAKT_API_TOKEN).", no_args_is_help=True)

# 32 random bytes: 43 URL-safe characters, well over the 24 `serve` insists on.
TOKEN_BYTES = 32


@token_app.command("new")
def token_new() -> None:
    """Print a new random API token; only the token goes to stdout."""
    typer.echo(secrets.token_urlsafe(TOKEN_BYTES))
    err.print("set it as ANITRAKT_API_TOKEN and restart `anitrakt serve`", highlight=False)
