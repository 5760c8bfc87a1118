"""Mappings and their sources: `mappings`, `map`, `unmap`, `unmapped`, `override …`,
`refresh …`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from anitrakt.cli.common import (
    JsonOption,
    cli_errors,
    err,
    local_time,
    open_runtime,
    out,
    print_json,
)
from anitrakt.domain.values import SourceName

override_app = typer.Typer(help="Episode overrides (show-absolute → S/E).", no_args_is_help=True)
refresh_app = typer.Typer(
    help="Refresh the mapping sources, or report on them.", no_args_is_help=True
)


@cli_errors
def mappings(
    search: Annotated[
        str | None,
        typer.Argument(help="An id (AniList, Trakt, TMDB, TVDB, IMDb) or part of a title."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List stored mappings, manual then automatic, with the AniList title a sync saw."""
    from anitrakt.schemas.common import MappingLists
    from anitrakt.usecases.mappings import mapping_lists

    with open_runtime() as runtime:
        lists = MappingLists.of(mapping_lists(runtime, search))
    if as_json:
        print_json(lists)
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


@cli_errors
def map_entry(
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
    from anitrakt.schemas.common import MappingBody
    from anitrakt.usecases.manual import ManualMappingInput
    from anitrakt.usecases.mappings import map_manually

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
    with open_runtime() as runtime:
        body = MappingBody.of(map_manually(runtime, given))
    if as_json:
        print_json({"success": True, "added": body.model_dump()})
        return
    hint = "" if body.season is None else f", season {body.season} offset {body.offset or 0}"
    out.print(
        f"mapped AniList {body.anilistId} → Trakt {body.traktType} {body.traktId}{hint} (manual)"
    )


@cli_errors
def unmap(
    anilist_id: Annotated[str, typer.Argument(help="AniList id or URL.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete a manual mapping; the next sync resolves the entry automatically again."""
    from anitrakt.domain.ids import parse_anilist_id
    from anitrakt.usecases.mappings import unmap as unmap_entry

    entry = parse_anilist_id(anilist_id, "ANILIST_ID")
    if not yes:
        typer.confirm(f"Delete the manual mapping of AniList {entry}?", abort=True)
    with open_runtime() as runtime:
        unmap_entry(runtime, entry)
    out.print(f"manual mapping of AniList {entry} deleted")


@cli_errors
def unmapped(as_json: JsonOption = False) -> None:
    """Entries that failed resolution in recent runs, with the reason."""
    from anitrakt.schemas.sync import UnmappedList
    from anitrakt.usecases.sync.modes import recent_unmapped

    with open_runtime() as runtime:
        listed = UnmappedList.of(recent_unmapped(runtime))
    if as_json:
        print_json(listed)
        return
    table = Table(title=f"Unmapped entries ({listed.count})")
    for column in ("AniList id", "title", "reason", "last seen"):
        table.add_column(column)
    for item in listed.items:
        table.add_row(
            str(item.anilistId), item.title or "", item.reason or "", local_time(item.lastSeen)
        )
    out.print(table)


@override_app.command("set")
@cli_errors
def override_set(
    trakt_id: Annotated[str, typer.Argument(help="Trakt show id.")],
    abs_episode: Annotated[str, typer.Argument(metavar="ABS", help="Show-absolute episode.")],
    season: Annotated[str, typer.Argument(help="Trakt season.")],
    episode: Annotated[str, typer.Argument(help="Trakt episode number.")],
) -> None:
    """Send show-absolute episode ABS of a Trakt show to SEASON/EPISODE."""
    from anitrakt.usecases.sync.overrides import parse_override, save_override

    override = parse_override(trakt_id, abs_episode, season, episode)
    with open_runtime() as runtime:
        save_override(runtime, override)
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
    from anitrakt.usecases.sync.overrides import remove_override

    with open_runtime() as runtime:
        remove_override(runtime, trakt_id, abs_episode)
    out.print(f"override removed: Trakt {trakt_id} absolute episode {abs_episode}")


@override_app.command("list")
@cli_errors
def override_list(
    trakt_id: Annotated[str | None, typer.Option(help="Only this Trakt show.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List overrides."""
    from anitrakt.schemas.sync import OverrideList
    from anitrakt.usecases.sync.overrides import overrides

    with open_runtime() as runtime:
        listed = OverrideList.of(overrides(runtime, trakt_id))
    if as_json:
        print_json(listed.items)
        return
    table = Table(title=f"Episode overrides ({listed.count})")
    for column in ("Trakt show", "absolute episode", "season", "episode"):
        table.add_column(column, justify="right")
    for o in listed.items:
        table.add_row(str(o.traktId), str(o.abs), str(o.season), str(o.episode))
    out.print(table)


CheckOption = Annotated[
    bool, typer.Option("--check", help="Only report entries and last refresh; download nothing.")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Rebuild the cache even when the download is unchanged.")
]


@contextmanager
def _download_bar(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr (stdout stays clean for --json) fed by the download."""
    from rich.progress import BarColumn, DownloadColumn, TextColumn, TransferSpeedColumn
    from rich.progress import Progress as ProgressBar

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with ProgressBar(*columns, TransferSpeedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"downloading {label}", total=None)

        def update(received: int, total: int | None) -> None:
            bar.update(task, completed=received, total=total)

        yield update


def _refresh(source: SourceName, *, check: bool, force: bool, as_json: bool) -> None:
    from anitrakt.schemas.sources import (
        AnibridgeCheckBody,
        FribbCheckBody,
        OtakuCheckBody,
        RefreshBody,
        check_body,
    )
    from anitrakt.usecases.sources.refresh import refresh_source, source_report

    with open_runtime() as runtime:
        if check:
            status = check_body(source_report(runtime, source))
        else:
            with _download_bar(source.label) as progress:
                outcome = RefreshBody.of(refresh_source(runtime, source, progress, force=force))
            status = outcome.status
    if as_json:
        print_json(status if check else outcome)
        return
    if not check:
        out.print(outcome.message, highlight=False)
    table = Table(title=source.label)
    table.add_column("AniList entries")
    table.add_column("last refresh (local time)")
    if isinstance(status, FribbCheckBody):
        table.add_column("index rebuilt")
        table.add_row(
            f"{status.count:,}", local_time(status.lastSync), local_time(status.lastFullSync)
        )
    elif isinstance(status, OtakuCheckBody):
        table.add_column("newest activity in the file")
        table.add_row(
            f"{status.count:,}", local_time(status.lastSync), local_time(status.lastActivity)
        )
    elif isinstance(status, AnibridgeCheckBody):
        table.add_column("cache rebuilt")
        table.add_column("release built")
        table.add_row(
            f"{status.count:,}",
            local_time(status.lastSync),
            local_time(status.lastFullSync),
            local_time(status.generatedOn),
        )
    out.print(table)


@refresh_app.command("fribbs")
@cli_errors
def refresh_fribbs(
    check: CheckOption = False, force: ForceOption = False, as_json: JsonOption = False
) -> None:
    """Download Fribb's anime list (FRIBBS_URL) and replace its cache."""
    _refresh(SourceName.FRIBB, check=check, force=force, as_json=as_json)


@refresh_app.command("otaku")
@cli_errors
def refresh_otaku(
    check: CheckOption = False, force: ForceOption = False, as_json: JsonOption = False
) -> None:
    """Download Otaku's mapping database (OTAKU_URL) and replace its cache."""
    _refresh(SourceName.OTAKU, check=check, force=force, as_json=as_json)


@refresh_app.command("anibridge")
@cli_errors
def refresh_anibridge(
    check: CheckOption = False, force: ForceOption = False, as_json: JsonOption = False
) -> None:
    """Download anibridge-mappings (ANIBRIDGE_URL): episode ranges and ids; skipped when
    its stats.json shows no new release."""
    _refresh(SourceName.ANIBRIDGE, check=check, force=force, as_json=as_json)
