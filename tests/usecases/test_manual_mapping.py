"""Manual mapping input: Trakt ids, URLs and slugs, validated before any lookup (no I/O).

The Trakt lookup is injected; here it is a small in-memory catalog with the Trakt
client's `show`/`movie` contract (an unknown slug raises UpstreamNotFound).
"""

from __future__ import annotations

from typing import Any

import pytest

from anitrakt.domain.trakt import TraktIds, TraktMovie, TraktShow
from anitrakt.domain.values import IdMapping, TraktType
from anitrakt.errors import ConfigError, InputError, UpstreamNotFound
from anitrakt.usecases.manual import (
    ManualMappingInput,
    TraktCatalog,
    TraktItem,
    TraktRef,
    parse_trakt_id,
    trakt_lookup,
)

SHOW, MOVIE = TraktType.SHOW, TraktType.MOVIE


class Catalog:
    """What Trakt has, by slug; records every lookup and whether it was closed."""

    def __init__(self) -> None:
        self.shows = {"one-piece": 37696, "1899": 150000}
        self.movies = {"your-name-2016": 4001}
        self.asked: list[tuple[str, str]] = []
        self.closed = False

    def show(self, show_id: int | str) -> TraktShow:
        self.asked.append(("show", str(show_id)))
        if str(show_id) not in self.shows:
            raise UpstreamNotFound(f"no show {show_id}")
        return TraktShow(None, None, TraktIds(trakt=self.shows[str(show_id)]))

    def movie(self, movie_id: int | str) -> TraktMovie:
        self.asked.append(("movie", str(movie_id)))
        if str(movie_id) not in self.movies:
            raise UpstreamNotFound(f"no movie {movie_id}")
        return TraktMovie(None, None, TraktIds(trakt=self.movies[str(movie_id)]))

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(37696, 37696, id="number"),
        pytest.param(" 37696 ", 37696, id="numeric-text"),
        pytest.param("one-piece", TraktRef("one-piece"), id="slug"),
        pytest.param("One-Piece", TraktRef("one-piece"), id="slug-any-case"),
        pytest.param("1899", 1899, id="digits-are-an-id-not-a-slug"),
        pytest.param("https://trakt.tv/shows/one-piece", TraktRef("one-piece", SHOW), id="url"),
        pytest.param(
            "https://trakt.tv/shows/one-piece/seasons/1/episodes/2",
            TraktRef("one-piece", SHOW),
            id="url-with-trailing-path",
        ),
        pytest.param("http://www.trakt.tv/shows/1899/", TraktRef("1899", SHOW), id="www-url"),
        pytest.param("app.trakt.tv/shows/one-piece", TraktRef("one-piece", SHOW), id="app-host"),
        pytest.param(
            "https://trakt.tv/movies/your-name-2016?ref=x",
            TraktRef("your-name-2016", MOVIE),
            id="movie-url",
        ),
    ],
)
def test_trakt_id_forms(given: Any, expected: int | TraktRef) -> None:
    assert parse_trakt_id(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(0, id="zero"),
        pytest.param(-3, id="negative"),
        pytest.param(True, id="bool"),
        pytest.param(1.5, id="fraction"),
        pytest.param("one piece", id="space"),
        pytest.param("-one-piece", id="leading-hyphen"),
        pytest.param("https://trakt.tv/users/sean", id="user-url"),
        pytest.param("https://trakt.tv/shows/", id="url-without-slug"),
        pytest.param("https://example.com/shows/one-piece", id="other-host"),
        pytest.param("https://trakt.tv/shows/one%20piece", id="encoded-space"),
    ],
)
def test_bad_trakt_ids_name_the_field(given: Any) -> None:
    with pytest.raises(InputError) as caught:
        parse_trakt_id(given)

    assert caught.value.field == "traktId"
    assert "https://trakt.tv/shows/one-piece" in caught.value.message


@pytest.mark.parametrize(
    ("trakt_id", "movie", "expected", "asked"),
    [
        pytest.param("one-piece", False, (37696, SHOW), [("show", "one-piece")], id="slug"),
        pytest.param(
            "your-name-2016", False, (4001, MOVIE),
            [("show", "your-name-2016"), ("movie", "your-name-2016")],
            id="bare-slug-tries-show-then-movie",
        ),
        pytest.param(
            "your-name-2016", True, (4001, MOVIE), [("movie", "your-name-2016")],
            id="movie-flag-asks-only-movies",
        ),
        pytest.param(
            "https://trakt.tv/movies/your-name-2016", False, (4001, MOVIE),
            [("movie", "your-name-2016")],
            id="movie-url-sets-movie",
        ),
        pytest.param("37696", True, (37696, MOVIE), [], id="number-is-not-looked-up"),
    ],
)  # fmt: skip
def test_validate_resolves_slugs_through_the_lookup(
    trakt_id: str, movie: bool, expected: tuple[int, TraktType], asked: list[tuple[str, str]]
) -> None:
    catalog = Catalog()

    with trakt_lookup(lambda: catalog) as lookup:
        mapping = ManualMappingInput(21, trakt_id, season="1", movie=movie).validate(lookup)

    assert mapping == IdMapping(
        21, expected[0], manual=True, trakt_type=expected[1], trakt_season=1
    )
    assert catalog.asked == asked
    assert catalog.closed is bool(asked)


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        pytest.param(
            ManualMappingInput(21, "no-such-show"), "traktId",
            ("Trakt has no show or movie", "'no-such-show'"),
            id="unknown-slug",
        ),
        pytest.param(
            ManualMappingInput(21, "https://trakt.tv/shows/nope"), "traktId",
            ("Trakt has no show", "'nope'"),
            id="unknown-show-url",
        ),
        pytest.param(
            ManualMappingInput(21, "https://trakt.tv/shows/one-piece", movie=True), "movie",
            ("show URL",),
            id="show-url-but-movie",
        ),
    ],
)  # fmt: skip
def test_lookup_misses_name_the_field(
    given: ManualMappingInput, field: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(InputError) as caught, trakt_lookup(Catalog) as lookup:
        given.validate(lookup)

    assert caught.value.field == field
    for word in words:
        assert word in caught.value.message


def test_every_other_field_is_checked_before_any_lookup() -> None:
    catalog = Catalog()

    with pytest.raises(InputError) as caught, trakt_lookup(lambda: catalog) as lookup:
        ManualMappingInput(21, "one-piece", offset="-1").validate(lookup)

    assert caught.value.field == "offset"
    assert catalog.asked == []


def test_a_slug_without_trakt_configuration_names_traktid_and_the_variable() -> None:
    def unconfigured() -> TraktCatalog:
        raise ConfigError("TRAKT_CLIENT_ID is not set; create a Trakt API app and set it")

    with trakt_lookup(unconfigured) as lookup:
        assert ManualMappingInput(21, 37696).validate(lookup).trakt_id == 37696
        with pytest.raises(InputError) as caught:
            ManualMappingInput(21, "one-piece").validate(lookup)

    assert caught.value.field == "traktId"
    assert "TRAKT_CLIENT_ID" in caught.value.message
    assert "numeric Trakt id" in caught.value.message


def test_without_a_lookup_a_slug_asks_for_the_number() -> None:
    with pytest.raises(InputError, match="numeric Trakt id") as caught:
        ManualMappingInput(21, "one-piece").validate()

    assert caught.value.field == "traktId"


def test_lookup_returns_what_trakt_calls_it() -> None:
    with trakt_lookup(Catalog) as lookup:
        assert lookup(TraktRef("one-piece")) == TraktItem(37696, SHOW)
        assert lookup(TraktRef("one-piece", MOVIE)) is None
