"""The `anitrakt` command: thin like the routes — parse, call one core function, render."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, TextColumn, TransferSpeedColumn
from rich.progress import Progress as ProgressBar
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from anitrakt import __version__
from anitrakt.clients.download import Progress
from anitrakt.config import Settings, check_serving, load_settings
from anitrakt.domain.instants import parse_instant
from anitrakt.domain.mapping_source import SourceName
from anitrakt.domain.values import LogLevel
from anitrakt.errors import AnitraktError, ConfigError
from anitrakt.health import probe, readyz_url
from anitrakt.store import migrate
from anitrakt.store.db import describe_db_error, sqlite_exposure
from anitrakt.store.logs import list_logs, prune_logs
from anitrakt.store.progress import count_progress, delete_progress, get_progress, list_progress
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.manual import (
    ManualMappingInput,
    parse_anilist_id,
    save_manual_mapping,
    trakt_lookup,
)
from anitrakt.usecases.sources.refresh import refresh_source, source_status
from anitrakt.usecases.sync.status import read_sync_status
from anitrakt.web.schemas import LogBody, MappingBody, MappingLists, ProgressItem, StatusBody
from anitrakt.web.schemas_sources import FribbCheckBody, OtakuCheckBody, RefreshBody, check_body

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="anitrakt",
    help="Keep Trakt watch history in step with an AniList anime list.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
refresh_app = typer.Typer(
    help="Refresh the mapping sources, or report on them.", no_args_is_help=True
)
app.add_typer(refresh_app, name="refresh")

out = Console()
err = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors (and an unreachable database) into one clear line and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AnitraktError as exc:
            raise _fail(exc.message) from None
        except SQLAlchemyError as exc:
            raise _fail(f"database error: {_mask(describe_db_error(exc))}") from None

    return wrapper


_secrets: list[str] = []


def _mask(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


def _settings(**overrides: Any) -> Settings:
    settings = load_settings(**overrides)
    _secrets[:] = [s for s in settings.secret_values() if s]
    return settings


@contextmanager
def _runtime(settings: Settings | None = None) -> Iterator[Runtime]:
    runtime = Runtime.open(settings or _settings())
    try:
        migrate.upgrade(runtime.engine)
        yield runtime
    finally:
        runtime.close()


@contextmanager
def _transaction() -> Iterator[Session]:
    with _runtime() as runtime, runtime.sessions.begin() as session:
        yield session


def _print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    typer.echo(json.dumps(value, indent=2))


def _local(value: Any) -> str:
    moment = parse_instant(value)
    if moment is None:
        return "Never"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"anitrakt {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Keep Trakt watch history in step with an AniList anime list."""


@app.command()
@cli_errors
def healthcheck(
    url: Annotated[
        str | None,
        typer.Option(help="The /readyz to ask (default: ANITRAKT_HOST/ANITRAKT_PORT)."),
    ] = None,
) -> None:
    """Ask the running server whether it is ready; exit 0 when it is, 1 otherwise."""
    result = probe(url or readyz_url(_settings()))
    typer.echo(result.line)
    if not result.ready:
        raise typer.Exit(1)


@app.command()
@cli_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (ANITRAKT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (ANITRAKT_PORT).")] = None,
) -> None:
    """Run the web app and scheduler (applies migrations first)."""
    from anitrakt.web.app import create_app
    from anitrakt.web.server import run_server

    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["anitrakt_host"] = host
    if port is not None:
        overrides["anitrakt_port"] = port
    settings = _settings(**overrides)
    warnings = check_serving(settings)
    warnings += sqlite_exposure(settings.sqlalchemy_url, settings.anitrakt_data_dir)
    with _runtime(settings) as runtime:
        for warning in warnings:
            runtime.events.warn(warning)
        with runtime.sessions.begin() as session:
            pruned = prune_logs(session, settings.log_retention_days)
        address = f"{settings.anitrakt_host}:{settings.anitrakt_port}"
        runtime.events.info(f"anitrakt serving on {address} (pruned {pruned} old log rows)")
    run_server(
        create_app(settings, scheduler=True),
        host=settings.anitrakt_host,
        port=settings.anitrakt_port,
    )


def _migrate(step: Callable[[Engine, str], None], revision: str) -> None:
    """Run one Alembic step on the configured database (no auto-upgrade first)."""
    runtime = Runtime.open(_settings())
    try:
        step(runtime.engine, revision)
        out.print(f"database at revision {migrate.current_revision(runtime.engine) or 'base'}")
    finally:
        runtime.close()


@db_app.command("upgrade")
@cli_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: latest)."""
    _migrate(migrate.upgrade, revision)


@db_app.command("downgrade")
@cli_errors
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision or 'base'.")],
) -> None:
    """Revert migrations down to REVISION ('base' drops every table)."""
    _migrate(migrate.downgrade, revision)


@app.command()
@cli_errors
def status(as_json: JsonOption = False) -> None:
    """When each kind of sync last ran, and the last failure if no sync succeeded since."""
    with _transaction() as session:
        body = StatusBody.of(read_sync_status(session))
    if as_json:
        _print_json(body)
        return
    table = Table(title="Sync status")
    table.add_column("run")
    table.add_column("last (local time)")
    for label, value in [
        ("manual", body.lastManualSync),
        ("automated", body.lastAutomatedSync),
        ("completed", body.lastCompletedSync),
        ("watching", body.lastWatchingSync),
    ]:
        table.add_row(label, _local(value))
    out.print(table)
    if body.lastFailure is not None:
        failure = body.lastFailure
        out.print(
            f"[bold red]last failure[/] {_local(failure.at)} ({failure.mode}): {failure.error}",
            highlight=False,
        )


@app.command()
@cli_errors
def logs(
    level: Annotated[LogLevel | None, typer.Option(help="Only this level.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Rows to show.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Recent operational log rows, newest first."""
    with _transaction() as session:
        rows = [LogBody.of(row) for row in list_logs(session, limit=limit, level=level)]
    if as_json:
        _print_json(rows)
        return
    table = Table(title="Logs (newest first)")
    for column in ("time", "level", "message"):
        table.add_column(column)
    styles = {"error": "red", "warn": "yellow"}
    for row in rows:
        table.add_row(_local(row.created_at), row.level, row.message, style=styles.get(row.level))
    out.print(table)


@app.command()
@cli_errors
def progress(
    anilist_id: Annotated[
        str | None, typer.Argument(help="AniList id or URL; omit to list recent progress.")
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Forget this entry's progress (re-send from 1).")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Rows to list.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show (or reset) how far each AniList entry has been posted to Trakt."""
    if anilist_id is None:
        if reset:
            raise ConfigError("--reset needs an ANILIST_ID")
        with _transaction() as session:
            items = [ProgressItem.of(r) for r in list_progress(session, limit=limit)]
            total = count_progress(session)
        if as_json:
            _print_json({"count": total, "items": [i.model_dump() for i in items]})
            return
        table = Table(title=f"Progress ({total} entries)")
        for column in ("AniList id", "last episode posted", "updated"):
            table.add_column(column)
        for item in items:
            table.add_row(str(item.anilistId), str(item.lastAbs), _local(item.updatedAt))
        out.print(table)
        return
    entry = parse_anilist_id(anilist_id, "ANILIST_ID")
    with _transaction() as session:
        if reset:
            existed = delete_progress(session, entry)
            result: dict[str, Any] = {"anilistId": entry, "reset": existed, "lastAbs": 0}
        else:
            result = {"anilistId": entry, "lastAbs": get_progress(session, entry)}
    if as_json:
        _print_json(result)
    elif reset:
        out.print(
            f"progress of {entry} reset; the next sync re-sends it from episode 1"
            if result["reset"]
            else f"{entry} had no progress recorded"
        )
    else:
        posted = result["lastAbs"]
        out.print(
            f"AniList {entry}: episodes 1–{posted} posted"
            if posted
            else f"AniList {entry}: nothing posted yet"
        )


@app.command("mappings")
@cli_errors
def mappings_command(
    search: Annotated[
        str | None,
        typer.Argument(help="An id (AniList, Trakt, TMDB, TVDB, IMDb) or part of a title."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List stored mappings, manual then automatic, with the AniList title a sync saw."""
    with _transaction() as session:
        lists = MappingLists.load(session, search=search)
    if as_json:
        _print_json(lists)
        return
    for kind, rows in (("Manual", lists.manual), ("Automatic", lists.auto)):
        table = Table(title=f"{kind} mappings ({len(rows)})")
        for column in ("AniList", "title", "Trakt", "type", "season", "offset"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row.anilistId),
                row.title or "",
                "" if row.traktId is None else str(row.traktId),
                row.traktType or "",
                "" if row.season is None else str(row.season),
                "" if row.offset is None else str(row.offset),
            )
        out.print(table)


@app.command("map")
@cli_errors
def map_command(
    anilist_id: Annotated[str, typer.Argument(help="AniList id or URL.")],
    trakt_id: Annotated[
        str, typer.Argument(help="Trakt id, Trakt URL or slug (a slug needs TRAKT_CLIENT_ID).")
    ],
    tmdb: Annotated[str | None, typer.Option(help="TMDB id.")] = None,
    imdb: Annotated[str | None, typer.Option(help="IMDb id (tt…).")] = None,
    tvdb: Annotated[str | None, typer.Option(help="TVDB id.")] = None,
    season: Annotated[
        str | None, typer.Option(help="Trakt season the entry starts in (0 = specials).")
    ] = None,
    offset: Annotated[str | None, typer.Option(help="Episodes to skip in that season.")] = None,
    movie: Annotated[bool, typer.Option("--movie", help="The Trakt id is a movie.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Save a manual mapping (it always wins over automatic ones)."""
    given = ManualMappingInput(
        anilist_id=anilist_id,
        trakt_id=trakt_id,
        tmdb_id=tmdb,
        imdb_id=imdb,
        tvdb_id=tvdb,
        season=season,
        offset=offset,
        movie=movie,
    )
    with (
        _runtime() as runtime,
        trakt_lookup(runtime.trakt) as lookup,
        runtime.sessions.begin() as session,
    ):
        body = MappingBody.of(save_manual_mapping(session, given, lookup))
    if as_json:
        _print_json({"success": True, "added": body.model_dump()})
        return
    hint = "" if body.season is None else f", season {body.season} offset {body.offset or 0}"
    out.print(
        f"mapped AniList {body.anilistId} → Trakt {body.traktType} {body.traktId}{hint} (manual)"
    )


CheckOption = Annotated[
    bool, typer.Option("--check", help="Only report entries and last refresh; download nothing.")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Rebuild the cache even when the download is unchanged.")
]


@contextmanager
def _download_bar(label: str) -> Iterator[Progress]:
    """A progress bar on stderr (stdout stays clean for --json) fed by the download."""
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with ProgressBar(*columns, TransferSpeedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"downloading {label}", total=None)

        def update(received: int, total: int | None) -> None:
            bar.update(task, completed=received, total=total)

        yield update


def _refresh_command(source: SourceName, *, check: bool, force: bool, as_json: bool) -> None:
    with _runtime() as runtime:
        if check:
            with runtime.sessions() as session:
                status = check_body(source_status(session, source))
        else:
            with _download_bar(source.label) as progress:
                outcome = RefreshBody.of(refresh_source(runtime, source, progress, force=force))
            status = outcome.status
    if as_json:
        _print_json(status if check else outcome)
        return
    if not check:
        out.print(outcome.message, highlight=False)
    table = Table(title=source.label)
    table.add_column("AniList entries")
    table.add_column("last refresh (local time)")
    if isinstance(status, FribbCheckBody):
        table.add_column("index rebuilt")
        table.add_row(f"{status.count:,}", _local(status.lastSync), _local(status.lastFullSync))
    elif isinstance(status, OtakuCheckBody):
        table.add_column("newest activity in the file")
        table.add_row(f"{status.count:,}", _local(status.lastSync), _local(status.lastActivity))
    out.print(table)


@refresh_app.command("fribbs")
@cli_errors
def refresh_fribbs(
    check: CheckOption = False, force: ForceOption = False, as_json: JsonOption = False
) -> None:
    """Download Fribb's anime list (FRIBBS_URL) and replace its cache."""
    _refresh_command(SourceName.FRIBB, check=check, force=force, as_json=as_json)


@refresh_app.command("otaku")
@cli_errors
def refresh_otaku(
    check: CheckOption = False, force: ForceOption = False, as_json: JsonOption = False
) -> None:
    """Download Otaku's mapping database (OTAKU_URL) and replace its cache."""
    _refresh_command(SourceName.OTAKU, check=check, force=force, as_json=as_json)


def _register_sync_commands() -> None:
    """Attach the sync, auth, override, unmapped and token commands (they reuse this module's
    helpers)."""
    from anitrakt.cli import sync as cli_sync
    from anitrakt.cli import token as cli_token

    app.add_typer(cli_sync.sync_app, name="sync")
    app.add_typer(cli_sync.auth_app, name="auth")
    app.add_typer(cli_sync.override_app, name="override")
    app.command("unmapped")(cli_sync.unmapped)
    app.add_typer(cli_token.token_app, name="token")


_register_sync_commands()


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        app(prog_name="anitrakt")
    except AnitraktError as exc:  # raised before a command's own handler (e.g. settings)
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        sys.exit(1)
