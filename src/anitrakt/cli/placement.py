"""Placement: `review` (entries held, and the one-step fix) and `explain ANILIST_ID`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from anitrakt.cli.common import JsonOption, cli_errors, local_time, open_runtime, out, print_json

review_app = typer.Typer(
    help="Entries whose episodes were held because the sources disagree.",
    invoke_without_command=True,
)


@review_app.callback()
@cli_errors
def review(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the entries held for review (nothing was posted for those episodes)."""
    if ctx.invoked_subcommand is not None:
        return
    from anitrakt.schemas.review import ReviewList
    from anitrakt.usecases.review import held_for_review

    with open_runtime() as runtime:
        listed = ReviewList.of(held_for_review(runtime))
    if as_json:
        print_json(listed)
        return
    table = Table(title=f"Held for review ({listed.count})")
    for column in ("AniList id", "title", "episodes", "Trakt show", "reason", "last seen"):
        table.add_column(column)
    for item in listed.items:
        table.add_row(
            str(item.anilistId),
            item.title,
            item.episodesText,
            str(item.traktId),
            item.reason,
            local_time(item.lastSeen),
        )
    out.print(table)
    if listed.count:
        out.print(
            "fix one with: anitrakt review fix ANILIST_ID --season S --episode E "
            "(the Trakt episode its AniList episode 1 is)"
        )


@review_app.command("fix")
@cli_errors
def review_fix(
    anilist_id: Annotated[str, typer.Argument(help="AniList id or URL.")],
    season: Annotated[str, typer.Option(help="Trakt season of AniList episode 1.")],
    episode: Annotated[str, typer.Option(help="Trakt episode number of AniList episode 1.")],
) -> None:
    """Say which Trakt episode an entry's AniList episode 1 is; the rest follow."""
    from anitrakt.schemas.review import ReviewFixBody
    from anitrakt.usecases.review import fix_review

    with open_runtime() as runtime:
        body = ReviewFixBody.of(fix_review(runtime, anilist_id, season, episode))
    out.print(body.message)


@cli_errors
def explain(
    anilist_id: Annotated[str, typer.Argument(help="AniList id or URL.")],
    episodes: Annotated[
        str | None, typer.Option(help="How many episodes to place (default: AniList's count).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Every AniList episode of an entry → Trakt S/E, the rule, and where sources disagree."""
    from anitrakt.schemas.review import ExplainBody
    from anitrakt.usecases.explain import explain as explain_entry

    with open_runtime() as runtime:
        body = ExplainBody.of(explain_entry(runtime, anilist_id, episodes))
    if as_json:
        print_json(body)
        return
    out.print(f"[bold]{body.title}[/] (AniList {body.anilistId}): {body.mapping or body.kind}")
    if body.reason:
        out.print(f"not placed: {body.reason}")
        return
    if body.kind == "movie":
        out.print(f"one play of Trakt movie {body.traktId}")
        return
    table = Table()
    for column in ("AniList ep", "Trakt", "rule", "why"):
        table.add_column(column)
    for line in body.episodes:
        where = line.trakt if line.outcome == "post" else line.outcome
        table.add_row(str(line.anilistEpisode), where, line.rule or "", line.detail or "")
    out.print(table)
    for view in body.sources:
        out.print(f"{view.source}: {view.says}")
    if body.disagreement:
        out.print(f"[bold yellow]{body.disagreement}[/]")
