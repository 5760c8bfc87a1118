"""Manual mappings: parse what a person typed or pasted, validate it, save it.

`traktId` may be a number, a Trakt URL (`https://trakt.tv/shows/one-piece`, with or
without a trailing `/seasons/1`; a `/movies/` URL makes the mapping a movie) or a bare
slug. Parsing and validation are pure; turning a slug into the numeric id is the one
step that needs Trakt, so it is injected as a `TraktLookup` and runs only after every
other field is valid. `trakt_lookup` builds that lookup lazily, so a numeric id works
without any Trakt configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import unquote

from sqlalchemy.orm import Session

from anitrakt.domain.ids import (
    MAX_ID,
    MAX_OFFSET,
    MAX_SEASON,
    parse_anilist_id,
    parse_imdb_id,
    parse_positive_id,
    whole_number,
)
from anitrakt.domain.trakt import TraktMovie, TraktShow
from anitrakt.domain.values import IdMapping, TraktType
from anitrakt.errors import ConfigError, FieldCheck, InputError, UpstreamNotFound
from anitrakt.store.mappings import get_mapping, save_mapping
from anitrakt.store.models import Mapping

_TRAKT_URL = re.compile(
    r"^(?:https?://)?(?:www\.|app\.)?trakt\.tv/(?P<kind>shows|movies)/(?P<slug>[^/?#\s]+)"
    r"(?:[/?#].*)?$",
    re.I,
)
# Trakt slugs are lower-case words joined by hyphens: `one-piece`, `your-name-2016`.
_TRAKT_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", re.I)
_URL_KINDS = {"shows": TraktType.SHOW, "movies": TraktType.MOVIE}
TRAKT_ID_FORMS = (
    "a positive integer, a Trakt URL such as https://trakt.tv/shows/one-piece, or a slug"
)


@dataclass(frozen=True, slots=True)
class TraktRef:
    """A Trakt show or movie named by slug; `kind` is None for a bare slug (either may fit)."""

    slug: str
    kind: TraktType | None = None


@dataclass(frozen=True, slots=True)
class TraktItem:
    """What a `TraktRef` turned out to be on Trakt."""

    trakt_id: int
    kind: TraktType


class TraktLookup(Protocol):
    def __call__(self, ref: TraktRef) -> TraktItem | None:
        """The item `ref` names, or None when Trakt has no such show or movie."""
        ...


class TraktCatalog(Protocol):
    """The part of the Trakt client a slug lookup needs."""

    def show(self, show_id: int | str) -> TraktShow: ...

    def movie(self, movie_id: int | str) -> TraktMovie: ...

    def close(self) -> None: ...


def parse_trakt_id(value: Any, field: str = "traktId") -> int | TraktRef:
    """A numeric Trakt id as given, or the slug (and kind) a Trakt URL or bare slug names."""
    if isinstance(value, str) and value.strip() and not value.strip().isdigit():
        text = value.strip()
        match = _TRAKT_URL.match(text)
        slug = unquote(match["slug"]) if match else text
        if not _TRAKT_SLUG.match(slug):
            raise InputError(f"{field} must be {TRAKT_ID_FORMS}", field=field)
        kind = _URL_KINDS[match["kind"].lower()] if match else None
        return TraktRef(slug.lower(), kind)
    return whole_number(value, field, minimum=1, maximum=MAX_ID, what=TRAKT_ID_FORMS)


def find_on_trakt(catalog: TraktCatalog, ref: TraktRef) -> TraktItem | None:
    """Look `ref` up on Trakt; a bare slug is tried as a show, then as a movie."""
    kinds = (ref.kind,) if ref.kind is not None else (TraktType.SHOW, TraktType.MOVIE)
    for kind in kinds:
        try:
            item = catalog.show(ref.slug) if kind is TraktType.SHOW else catalog.movie(ref.slug)
        except UpstreamNotFound:
            continue
        if item.ids.trakt is not None:
            return TraktItem(item.ids.trakt, kind)
    return None


@contextmanager
def trakt_lookup(open_catalog: Callable[[], TraktCatalog]) -> Iterator[TraktLookup]:
    """A `TraktLookup` that opens the Trakt client on first use only, and closes it after.

    A missing TRAKT_CLIENT_ID (a ConfigError from `open_catalog`) becomes a 400-style
    InputError naming both traktId and the variable: the request is fine with a number.
    """
    opened: list[TraktCatalog] = []

    def lookup(ref: TraktRef) -> TraktItem | None:
        if not opened:
            try:
                opened.append(open_catalog())
            except ConfigError as exc:
                raise InputError(
                    f"traktId {ref.slug!r} must be looked up on Trakt: {exc.message} "
                    "(or give the numeric Trakt id)",
                    field="traktId",
                ) from None
        return find_on_trakt(opened[0], ref)

    try:
        yield lookup
    finally:
        for catalog in opened:
            catalog.close()


def _season(value: Any) -> int:
    what = f"a season number 0–{MAX_SEASON}"
    return whole_number(value, "season", minimum=0, maximum=MAX_SEASON, what=what)


def _offset(value: Any) -> int:
    what = f"an offset 0–{MAX_OFFSET}"
    return whole_number(value, "offset", minimum=0, maximum=MAX_OFFSET, what=what)


def _optional(raw: dict[str, Any], field: str) -> Any:
    value = raw.get(field)
    return None if value is None or value == "" else value


@dataclass(frozen=True, slots=True)
class ManualMappingInput:
    """The fields of a manual mapping, as a person gives them (ids may be URLs or text)."""

    anilist_id: Any
    trakt_id: Any
    tmdb_id: Any = None
    imdb_id: Any = None
    tvdb_id: Any = None
    season: Any = None
    offset: Any = None
    movie: bool = False

    def validate(self, lookup: TraktLookup | None = None) -> IdMapping:
        """The mapping these fields describe, or an InputError naming every bad field.

        A slug or URL in `trakt_id` is resolved through `lookup`, after every other field
        has been checked, so a bad request never costs a Trakt call.
        """
        raw = {
            "anilistId": self.anilist_id,
            "traktId": self.trakt_id,
            "tmdbId": self.tmdb_id,
            "imdbId": self.imdb_id,
            "tvdbId": self.tvdb_id,
            "season": self.season,
            "offset": self.offset,
        }
        check = FieldCheck()
        for required in ("anilistId", "traktId"):
            if _optional(raw, required) is None:
                check.add(required, f"{required} is required")
        tmdb, imdb, tvdb = (_optional(raw, f) for f in ("tmdbId", "imdbId", "tvdbId"))
        season, offset = _optional(raw, "season"), _optional(raw, "offset")
        given = _optional(raw, "anilistId"), _optional(raw, "traktId")
        anilist_id = None if given[0] is None else check.check(parse_anilist_id, given[0])
        trakt = None if given[1] is None else check.check(parse_trakt_id, given[1])
        tmdb_id = None if tmdb is None else check.check(parse_positive_id, tmdb, "tmdbId")
        imdb_id = None if imdb is None else check.check(parse_imdb_id, imdb)
        tvdb_id = None if tvdb is None else check.check(parse_positive_id, tvdb, "tvdbId")
        trakt_season = None if season is None else check.check(_season, season)
        episode_offset = None if offset is None else check.check(_offset, offset)
        check.done()  # every bad field at once, before anything asks Trakt
        assert anilist_id is not None
        assert trakt is not None
        mapping = IdMapping(
            anilist_id=anilist_id,
            trakt_id=trakt if isinstance(trakt, int) else None,
            tmdb_id=tmdb_id,
            imdb_id=imdb_id,
            tvdb_id=tvdb_id,
            manual=True,
            trakt_type=TraktType.MOVIE if self.movie else TraktType.SHOW,
            trakt_season=trakt_season,
            episode_offset=episode_offset,
        )
        if isinstance(trakt, int):
            return mapping
        item = self._look_up(trakt, lookup)
        return replace(mapping, trakt_id=item.trakt_id, trakt_type=item.kind)

    def _look_up(self, ref: TraktRef, lookup: TraktLookup | None) -> TraktItem:
        if ref.kind is TraktType.SHOW and self.movie:
            raise InputError("movie is set, but traktId is a Trakt show URL", field="movie")
        if ref.kind is None and self.movie:
            ref = TraktRef(ref.slug, TraktType.MOVIE)
        if lookup is None:
            raise InputError(
                f"traktId {ref.slug!r} is a slug; give the numeric Trakt id", field="traktId"
            )
        item = lookup(ref)
        if item is None:
            what = ref.kind.value if ref.kind is not None else "show or movie"
            raise InputError(f"traktId: Trakt has no {what} {ref.slug!r}", field="traktId")
        return item


def save_manual_mapping(
    session: Session, given: ManualMappingInput, lookup: TraktLookup | None = None
) -> Mapping:
    """Validate and store a manual mapping (replacing any earlier row); returns the stored row."""
    mapping = given.validate(lookup)
    save_mapping(session, mapping)
    session.flush()
    row = get_mapping(session, mapping.anilist_id)
    assert row is not None  # just written in this transaction
    session.refresh(row)
    return row
