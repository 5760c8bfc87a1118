"""Where the real AniList schema comes from, and what happens when it is not there.

The schema is `schema.graphqls` in the shared upstream data (introspected from
graphql.anilist.co; see PROVENANCE.md). It is read from there, never copied into the
repo; without it the fake still answers, unvalidated, and says so once on stderr.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from graphql import GraphQLSchema, build_schema

# tests/fakes/anilist/schema.py → the checkout's parent holds `shared/`.
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
SCHEMA_PATH = SHARED_DATA / "upstream" / "anilist" / "schema.graphqls"

_notice_printed = False


@functools.cache
def load_schema(path: Path = SCHEMA_PATH) -> GraphQLSchema | None:
    """The real AniList schema, or None when the shared data is not checked out."""
    if not path.is_file():
        return None
    return build_schema(path.read_text(encoding="utf-8"))


def notice_unvalidated() -> None:
    """Say once per process that queries go unchecked, so a green run is not misread."""
    global _notice_printed
    if not _notice_printed:
        _notice_printed = True
        print(
            "fake AniList: ../shared/data absent, queries are not validated against the "
            "real schema",
            file=sys.stderr,
        )
