"""`anitrakt sync …`, `auth trakt`, `override …` and `unmapped`: thin over the core."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from anitrakt.cli import JsonOption, _print_json, _runtime, cli_errors, err, out
from anitrakt.domain.planning import PlannedPlay
from anitrakt.usecases.manual import parse_anilist_id
from anitrakt.usecases.sync.engine import SyncReport
from anitrakt.usecases.sync.modes import run_full, run_list, sync_show, unmapped_entries
from anitrakt.usecases.sync.overrides import (
    overrides,
    parse_override,
    remove_override,
    save_override,
)
from anitrakt.usecases.trakt_account import (
    authorization_link,
    connect_with_code,
    start_device_authorization,
    wait_for_device_authorization,
)
from anitrakt.web.schemas_sync import PlayBody, SyncRunBody, describe_plays

sync_app = typer.Typer(help="Post AniList watch history to Trakt.", no_args_is_help=True)
auth_app = typer.Typer(help="Connect accounts.", no_args_is_help=True)
override_app = typer.Typer(help="Episode overrides (show-absolute → S/E).", no_args_is_help=True)

DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be posted; change nothing.")
]


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]posting to Trakt"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    )


def _render(report: SyncReport, as_json: bool) -> None:
    if as_json:
        _print_json(SyncRunBody.of(report))
    else:
        if report.dry_run and report.plays:
            plan = Table(title="Would post")
            for column in ("AniList entry", "Trakt", "watched at"):
                plan.add_column(column)
            by_entry: dict[int, list[PlannedPlay]] = defaultdict(list)
            for play in report.plays:
                by_entry[play.anilist_id].append(play)
            for plays in by_entry.values():
                first = PlayBody.of(plays[0])
                plan.add_row(
                    f"{first.title} ({first.anilistId})", describe_plays(plays), first.watchedAt
                )
            out.print(plan)
        summary = Table(title=f"{report.mode} sync" + (" (dry run)" if report.dry_run else ""))
        for column in ("found", "posted", "already synced", "unmapped", "not found", "pending"):
            summary.add_column(column, justify="right")
        summary.add_row(
            str(report.found),
            str(report.added),
            str(report.already_synced),
            str(report.skipped_unmapped),
            str(len(report.not_found)),
            str(report.pending),
        )
        out.print(summary)
        for item in report.unmapped:
            out.print(f"unmapped: {item['title']} (AniList {item['anilistId']}): {item['reason']}")
    if report.error:
        raise typer.Exit(1)


def _run(mode: str, dry_run: bool, as_json: bool) -> None:
    with _runtime() as runtime, runtime.sync_deps() as deps, _progress_bar() as bar:
        task = bar.add_task("post", total=None)
        deps.progress = lambda done, total: bar.update(task, completed=done, total=total)
        if mode == "full":
            report = run_full(deps, dry_run=dry_run)
        else:
            report = run_list(deps, completed=mode == "completed", dry_run=dry_run)
    if report.error and not as_json:
        err.print(f"[bold red]error:[/] {report.message}")
    _render(report, as_json)


@sync_app.command("full")
@cli_errors
def sync_full(dry_run: DryRunOption = False, as_json: JsonOption = False) -> None:
    """Incremental sync of AniList activities since the last run."""
    _run("full", dry_run, as_json)


@sync_app.command("completed")
@cli_errors
def sync_completed(dry_run: DryRunOption = False, as_json: JsonOption = False) -> None:
    """Sync every COMPLETED AniList entry."""
    _run("completed", dry_run, as_json)


@sync_app.command("watching")
@cli_errors
def sync_watching(dry_run: DryRunOption = False, as_json: JsonOption = False) -> None:
    """Sync every CURRENT (watching) AniList entry."""
    _run("watching", dry_run, as_json)


@sync_app.command("show")
@cli_errors
def sync_one_show(
    anilist_id: Annotated[str, typer.Argument(help="AniList id or URL.")],
    as_json: JsonOption = False,
) -> None:
    """Resolve one entry and cache its Trakt episode list (posts nothing)."""
    entry = parse_anilist_id(anilist_id, "ANILIST_ID")
    with _runtime() as runtime, runtime.sync_deps() as deps:
        result = sync_show(deps, entry)
    if as_json:
        _print_json({"success": True, "count": result.count, "traktId": result.trakt_id})
    else:
        out.print(f"AniList {entry} → Trakt {result.trakt_id}: {result.count} episodes cached")


@auth_app.command("trakt")
@cli_errors
def auth_trakt(
    code: Annotated[
        str | None, typer.Option(help="Paste a code from the authorization link instead.")
    ] = None,
    link: Annotated[
        bool, typer.Option("--link", help="Print the authorization link (then use --code).")
    ] = False,
) -> None:
    """Connect Trakt with a device code (or a link and a pasted code) and confirm the account."""
    with _runtime() as runtime:
        if link:
            url = authorization_link(runtime)
            out.print(f"Open {url}\nthen run: anitrakt auth trakt --code CODE", soft_wrap=True)
            return
        if code is not None:
            connection = connect_with_code(runtime, code.strip())
        else:
            device = start_device_authorization(runtime)
            out.print(
                f"Open [bold]{device.verification_url}[/] and enter the code "
                f"[bold reverse] {device.user_code} [/] (valid {device.expires_in // 60} min)."
            )
            with err.status("waiting for approval on Trakt…"):
                connection = wait_for_device_authorization(runtime, device)
    vip = " (VIP)" if connection.vip else ""
    out.print(f"Trakt connected as [bold]{connection.username}[/]{vip}")


@override_app.command("set")
@cli_errors
def override_set(
    trakt_id: Annotated[str, typer.Argument(help="Trakt show id.")],
    abs_episode: Annotated[str, typer.Argument(metavar="ABS", help="Show-absolute episode.")],
    season: Annotated[str, typer.Argument(help="Trakt season.")],
    episode: Annotated[str, typer.Argument(help="Trakt episode number.")],
) -> None:
    """Send show-absolute episode ABS of a Trakt show to SEASON/EPISODE."""
    override = parse_override(trakt_id, abs_episode, season, episode)
    with _runtime() as runtime, runtime.sessions.begin() as session:
        save_override(session, override)
    out.print(
        f"Trakt {override.trakt_id}: absolute episode {override.abs} → "
        f"S{override.season}E{override.episode}"
    )


@override_app.command("rm")
@cli_errors
def override_rm(
    trakt_id: Annotated[str, typer.Argument(help="Trakt show id.")],
    abs_episode: Annotated[str, typer.Argument(metavar="ABS", help="Show-absolute episode.")],
) -> None:
    """Remove one override."""
    with _runtime() as runtime, runtime.sessions.begin() as session:
        remove_override(session, trakt_id, abs_episode)
    out.print(f"override removed: Trakt {trakt_id} absolute episode {abs_episode}")


@override_app.command("list")
@cli_errors
def override_list(
    trakt_id: Annotated[str | None, typer.Option(help="Only this Trakt show.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List overrides."""
    with _runtime() as runtime, runtime.sessions() as session:
        items = overrides(session, trakt_id)
    if as_json:
        _print_json(
            [
                {"traktId": o.trakt_id, "abs": o.abs, "season": o.season, "episode": o.episode}
                for o in items
            ]
        )
        return
    table = Table(title=f"Episode overrides ({len(items)})")
    for column in ("Trakt show", "absolute episode", "season", "episode"):
        table.add_column(column, justify="right")
    for o in items:
        table.add_row(str(o.trakt_id), str(o.abs), str(o.season), str(o.episode))
    out.print(table)


@cli_errors
def unmapped(as_json: JsonOption = False) -> None:
    """Entries that failed resolution in recent runs, with the reason."""
    with _runtime() as runtime, runtime.sessions() as session:
        items = unmapped_entries(session)
    if as_json:
        _print_json({"count": len(items), "items": items})
        return
    table = Table(title=f"Unmapped entries ({len(items)})")
    for column in ("AniList id", "title", "reason", "last seen"):
        table.add_column(column)
    for item in items:
        table.add_row(
            str(item["anilistId"]),
            str(item.get("title")),
            str(item.get("reason")),
            str(item.get("lastSeen")),
        )
    out.print(table)
