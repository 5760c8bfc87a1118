"""`status`, `logs` and `progress`: what anitrakt has done, for a person to read."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from anitrakt.cli.common import JsonOption, cli_errors, local_time, open_runtime, out, print_json
from anitrakt.domain.values import LogLevel


@cli_errors
def status(as_json: JsonOption = False) -> None:
    """When each kind of sync last ran, and the last failure if no sync succeeded since."""
    from anitrakt.schemas.common import StatusBody
    from anitrakt.usecases.sync.status import sync_status

    with open_runtime() as runtime:
        body = StatusBody.of(sync_status(runtime))
    if as_json:
        print_json(body)
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
        table.add_row(label, local_time(value))
    out.print(table)
    if body.lastFailure is not None:
        failure = body.lastFailure
        out.print(
            f"[bold red]last failure[/] {local_time(failure.at)} ({failure.mode}): {failure.error}",
            highlight=False,
        )


@cli_errors
def logs(
    level: Annotated[LogLevel | None, typer.Option(help="Only this level.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Rows to show.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Recent operational log rows, newest first."""
    from anitrakt.schemas.common import LogBody
    from anitrakt.usecases.logs import recent_logs

    with open_runtime() as runtime:
        rows = [LogBody.of(entry) for entry in recent_logs(runtime, limit=limit, level=level)]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Logs (newest first)")
    for column in ("time", "level", "message"):
        table.add_column(column)
    styles = {"error": "red", "warn": "yellow"}
    for row in rows:
        table.add_row(
            local_time(row.created_at), row.level, row.message, style=styles.get(row.level)
        )
    out.print(table)


def _list_progress(limit: int, as_json: bool) -> None:
    from anitrakt.schemas.common import ProgressPage
    from anitrakt.usecases.progress import recent_progress

    with open_runtime() as runtime:
        page = ProgressPage.of(recent_progress(runtime, limit=limit))
    if as_json:
        print_json(page)
        return
    table = Table(title=f"Progress ({page.count:,} entries)")
    for column in ("AniList entry", "last episode posted", "updated"):
        table.add_column(column)
    for item in page.items:
        name = f"{item.title} ({item.anilistId})" if item.title else str(item.anilistId)
        table.add_row(name, str(item.lastAbs), local_time(item.updatedAt))
    out.print(table)


@cli_errors
def progress(
    anilist_id: Annotated[
        str | None, typer.Argument(help="AniList id or URL; omit to list recent progress.")
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Forget this entry's progress (re-send from 1).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Reset without asking.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Rows to list.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show (or reset) how far each AniList entry has been posted to Trakt."""
    from anitrakt.domain.ids import parse_anilist_id
    from anitrakt.errors import InputError
    from anitrakt.usecases.progress import progress_of, reset_progress, title_of

    if anilist_id is None:
        if reset:
            raise InputError("--reset needs an ANILIST_ID", field="ANILIST_ID")
        _list_progress(limit, as_json)
        return
    entry = parse_anilist_id(anilist_id, "ANILIST_ID")
    if reset and not yes and not as_json:
        typer.confirm(
            f"Forget the progress of AniList {entry}? The next sync re-sends it from episode 1",
            abort=True,
        )
    with open_runtime() as runtime:
        if reset:
            existed = reset_progress(runtime, entry)
            result: dict[str, object] = {"anilistId": entry, "reset": existed, "lastAbs": 0}
        else:
            result = {"anilistId": entry, "lastAbs": progress_of(runtime, entry)}
        title = title_of(runtime, entry)
    name = f"{title} (AniList {entry})" if title else f"AniList {entry}"
    if as_json:
        print_json(result)
    elif reset:
        out.print(
            f"progress of {name} reset; the next sync re-sends it from episode 1"
            if result["reset"]
            else f"{name} had no progress recorded"
        )
    else:
        posted = result["lastAbs"]
        out.print(
            f"{name}: episodes 1–{posted} posted" if posted else f"{name}: nothing posted yet"
        )


@cli_errors
def doctor(as_json: JsonOption = False) -> None:
    """What a sync still needs: AniList account, Trakt app and account, mapping sources."""
    from anitrakt.usecases.setup import setup_checks

    with open_runtime() as runtime:
        checks = setup_checks(runtime)
    if as_json:
        print_json([{"check": c.name, "ok": c.ok, "detail": c.detail} for c in checks])
    else:
        for check in checks:
            mark = "[green]ok[/]  " if check.ok else "[bold red]todo[/]"
            out.print(f"{mark} {check.label}: {check.detail}", highlight=False, soft_wrap=True)
        if all(c.ok for c in checks):
            out.print("ready: run `anitrakt sync full --dry-run` to see what a sync would post")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)
