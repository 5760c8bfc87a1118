"""`anitrakt sync …` and `auth trakt`: runs with a progress bar, and connecting Trakt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from anitrakt.cli.common import JsonOption, cli_errors, err, open_runtime, out, print_json
from anitrakt.domain.values import SyncMode

if TYPE_CHECKING:
    from anitrakt.usecases.sync.report import SyncReport

sync_app = typer.Typer(help="Post AniList watch history to Trakt.", no_args_is_help=True)
auth_app = typer.Typer(help="Connect accounts.", no_args_is_help=True)

# Rows of writes and things left shown per feature at a terminal.
EXTRA_ROWS = 40

DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be posted; change nothing.")
]


def _render(report: SyncReport, as_json: bool) -> None:
    from anitrakt.schemas.sync import PreviewBody, SyncRunBody

    if as_json:
        print_json(SyncRunBody.of(report))
    else:
        if report.dry_run and report.plays:
            plan = Table(title="Would post")
            for column in ("AniList entry", "Trakt", "placed by", "watched at"):
                plan.add_column(column)
            for item in PreviewBody.of(report).items:
                title = item.titleEnglish or item.titleRomaji or "?"
                plan.add_row(
                    f"{title} ({item.anilistShowId})",
                    item.willPost,
                    ", ".join(item.rules),
                    item.watchedAt,
                )
            out.print(plan)
        summary = Table(title=report.mode.label + (" (dry run)" if report.dry_run else ""))
        columns = ("found", "posted", "already synced", "unmapped", "not found", "pending", "held")
        for column in columns:
            summary.add_column(column, justify="right")
        summary.add_row(
            str(report.found),
            str(report.added),
            str(report.already_synced),
            str(report.skipped_unmapped),
            str(len(report.not_found)),
            str(report.pending),
            str(report.held),
        )
        if report.mode is not SyncMode.EXTRAS:
            out.print(summary)
        for miss in report.unmapped:
            out.print(f"unmapped: {miss.title} (AniList {miss.anilist_id}): {miss.reason}")
        for held in report.review:
            out.print(
                f"held for review: {held.title} (AniList {held.anilist_id}) episodes "
                f"{held.episodes_text}: {held.reason}"
            )
        if report.review:
            out.print("see `anitrakt review` to fix them")
        _render_extras(report)
    if report.error:
        raise typer.Exit(1)


def _render_extras(report: SyncReport) -> None:
    """Each feature beyond history the run ran: its writes and what it left, and why."""
    for part in report.extras:
        verb = "would write" if part.dry_run else "wrote"
        state = "" if part.enabled else " (off: preview only)"
        table = Table(title=f"{part.feature.label}{state}", caption=part.summary)
        for column in ("AniList entry", "action", "Trakt", "note"):
            table.add_column(column)
        rows = [(i, i.action, i.note) for i in part.writes]
        rows += [(i, "left", f"[dim]{i.note}[/]") for i in part.left]
        for item, action, note in rows[:EXTRA_ROWS]:
            table.add_row(_entry(item.title, item.anilist_id), action, item.target, note)
        if len(rows) > EXTRA_ROWS:
            table.add_row(f"… {len(rows) - EXTRA_ROWS} more (--json lists them all)", "", "", "")
        if rows:
            out.print(table)
        else:
            out.print(f"{part.feature.label}: {verb} nothing; {part.summary}")


def _entry(title: str, anilist_id: int | None) -> str:
    return f"{title} ({anilist_id})" if anilist_id is not None else title


def _run(mode: SyncMode, dry_run: bool, as_json: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from anitrakt.usecases.sync.report import RunProgress
    from anitrakt.usecases.sync.runs import run_sync

    prefix = "(dry run) " if dry_run else ""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
    with open_runtime() as runtime, Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"{prefix}starting", total=None)

        def progress(step: RunProgress) -> None:
            # The phase (reading AniList, resolving, reading Trakt, posting k/n), and a
            # rate-limit wait as such; the bar fills while posting.
            counted = step.done is not None and step.total is not None
            text = step.phase + (f" — {step.note}" if step.note else "")
            bar.update(
                task,
                description=prefix + text,
                completed=step.done if counted else 0,
                total=step.total if counted else None,
            )

        report = run_sync(runtime, mode, dry_run=dry_run, progress=progress)
    if report.error and not as_json:
        err.print(f"[bold red]error:[/] {report.message}", highlight=False)
    _render(report, as_json)


@sync_app.command("full")
@cli_errors
def sync_full(dry_run: DryRunOption = False, as_json: JsonOption = False) -> None:
    """Incremental sync of AniList activities since the last run."""
    _run(SyncMode.FULL, dry_run, as_json)


@sync_app.command("completed")
@cli_errors
def sync_completed(dry_run: DryRunOption = False, as_json: JsonOption = False) -> None:
    """Sync every COMPLETED AniList entry."""
    _run(SyncMode.COMPLETED, dry_run, as_json)


@sync_app.command("watching")
@cli_errors
def sync_watching(dry_run: DryRunOption = False, as_json: JsonOption = False) -> None:
    """Sync every CURRENT (watching) AniList entry."""
    _run(SyncMode.WATCHING, dry_run, as_json)


@sync_app.command("extras")
@cli_errors
def sync_extras(
    dry_run: DryRunOption = False,
    preview: Annotated[
        bool, typer.Option("--preview", help="Plan every feature, on or not; change nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Ratings, planning → watchlist, dropped and rewatches alone (the ones turned on)."""
    from anitrakt.usecases.sync.runs import preview_extras, run_extras

    with open_runtime() as runtime, err.status("asking AniList and Trakt…"):
        report = preview_extras(runtime) if preview else run_extras(runtime, dry_run=dry_run)
    if report.error and not as_json:
        err.print(f"[bold red]error:[/] {report.message}", highlight=False)
    _render(report, as_json)


@sync_app.command("show")
@cli_errors
def sync_one_show(
    anilist_id: Annotated[str, typer.Argument(help="AniList id or URL.")],
    as_json: JsonOption = False,
) -> None:
    """Resolve one entry and cache its Trakt episode list (posts nothing)."""
    from anitrakt.domain.ids import parse_anilist_id
    from anitrakt.usecases.sync.runs import cache_show

    entry = parse_anilist_id(anilist_id, "ANILIST_ID")
    with open_runtime() as runtime:
        result = cache_show(runtime, entry)
    if as_json:
        print_json({"success": True, "count": result.count, "traktId": result.trakt_id})
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
    from anitrakt.usecases.trakt_account import (
        authorization_link,
        connect_with_code,
        start_device_authorization,
        wait_for_device_authorization,
    )

    with open_runtime() as runtime:
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


@auth_app.command("disconnect")
@cli_errors
def auth_disconnect(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Disconnect without asking.")] = False,
) -> None:
    """Disconnect Trakt: revoke the stored tokens at Trakt and forget them."""
    from anitrakt.usecases.trakt_account import disconnect

    if not yes:
        typer.confirm(
            "Disconnect the Trakt account? Syncs stop until you connect again", abort=True
        )
    with open_runtime() as runtime:
        left = disconnect(runtime)
    out.print(
        "Trakt disconnected" + (" (tokens from the environment remain)" if left.connected else "")
    )
