"""Cover thumbnails: kept on disk when a sync reads the entries (docs/covers.md).

The checks a person would notice: after a sync each entry's cover is the CDN's image,
a re-run downloads nothing, a cover the CDN replaced is fetched again, the cache stays
under its cap, and nothing about covers — a CDN down, a page that is not an image, a URL
off the CDN — ever fails a sync or lands on disk.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.covers import CoverClient
from anitrakt.clients.http import Upstream
from anitrakt.config import Settings
from anitrakt.domain.anilist import Media
from anitrakt.domain.covers import MAX_COVER_BYTES, image_type
from anitrakt.errors import UpstreamError, UpstreamNotFound
from anitrakt.store.covers import CoverCache
from anitrakt.usecases.covers import GIVE_UP_AFTER, CoverKeeper, cached_cover_ids
from anitrakt.usecases.sync.modes import run_list
from clocks import ManualClock
from fakes.covers import CDN_PATH, cover_png
from fakes.files import FileServer
from fakes.transport import SyncASGITransport
from sync_world import AOT, LOST, SPLIT, World

BASE = f"http://cdn.example{CDN_PATH}"


def _client(files: FileServer, base: str = BASE) -> CoverClient:
    upstream = Upstream(
        name="AniList's image CDN",
        base_url=base,
        clock=ManualClock(),
        transport=SyncASGITransport(files),
    )
    return CoverClient(upstream)


# -- what counts as an image ------------------------------------------------------------


def test_only_the_bytes_of_an_image_make_a_cover() -> None:
    assert image_type(cover_png(1)) == "image/png"
    assert image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_type(b"GIF89a...") == "image/gif"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_type(b"<!DOCTYPE html><script>alert(1)</script>") is None
    assert image_type(b"<svg onload=alert(1)>") is None  # SVG can run script: never kept
    assert image_type(b"") is None


# -- the client: only the CDN, only images, only small ----------------------------------


def test_the_client_downloads_an_image_from_the_cdn() -> None:
    files = FileServer()
    files.put(
        f"{CDN_PATH}/media/anime/cover/medium/bx1.png", cover_png(1), content_type="image/png"
    )
    with _client(files) as client:
        cover = client.fetch(f"{BASE}/media/anime/cover/medium/bx1.png")
    assert (cover.body, cover.media_type) == (cover_png(1), "image/png")
    assert files.requests[0].headers["user-agent"].startswith("anitrakt/")


@pytest.mark.parametrize(
    "url",
    [
        "http://elsewhere.example/file/anilistcdn/x.png",  # another host
        "https://cdn.example/file/anilistcdn/x.png",  # another scheme
        "http://cdn.example/private/x.png",  # outside the path
        "http://cdn.example/file/anilistcdn/../../private/x.png",
        "http://user:pw@cdn.example/file/anilistcdn/x.png",
        "file:///etc/passwd",
        "http://127.0.0.1:5432/",
    ],
)
def test_a_url_off_the_cdn_is_never_requested(url: str) -> None:
    files = FileServer()
    with _client(files) as client, pytest.raises(UpstreamError, match="is not under"):
        client.fetch(url)
    assert files.count() == 0


def test_a_redirect_off_the_cdn_is_never_followed() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    upstream = Upstream(
        name="AniList's image CDN",
        base_url=BASE,
        clock=ManualClock(),
        transport=httpx.MockTransport(answer),
    )
    with CoverClient(upstream) as client, pytest.raises(UpstreamError, match="HTTP 302"):
        client.fetch(f"{BASE}/moved.png")
    assert asked == [f"{BASE}/moved.png"]  # the place it points to was never asked


def test_a_page_that_is_not_an_image_is_refused_whatever_its_type_says() -> None:
    files = FileServer()
    files.put(
        f"{CDN_PATH}/a.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
    )
    with (
        _client(files) as client,
        pytest.raises(UpstreamError, match=r"not an image \(image/png\)"),
    ):
        client.fetch(f"{BASE}/a.png")


def test_a_cover_larger_than_a_thumbnail_is_refused() -> None:
    files = FileServer()
    huge = cover_png(1) + b"\x00" * MAX_COVER_BYTES
    files.put(f"{CDN_PATH}/big.png", huge, content_type="image/png", chunked=True)
    with _client(files) as client, pytest.raises(UpstreamError, match="larger than"):
        client.fetch(f"{BASE}/big.png")


def test_a_missing_cover_is_a_not_found() -> None:
    with _client(FileServer()) as client, pytest.raises(UpstreamNotFound):
        client.fetch(f"{BASE}/gone.png")


# -- the cache on disk ------------------------------------------------------------------


def test_the_cache_keeps_one_file_per_entry_and_replaces_a_changed_cover(tmp_path: Path) -> None:
    cache = CoverCache(tmp_path / "covers", max_bytes=10_000_000)
    cache.put(7, "http://cdn/a.png", cover_png(1), "image/png")
    assert cache.has(7, "http://cdn/a.png")
    assert not cache.has(7, "http://cdn/b.png")
    cache.put(7, "http://cdn/b.png", cover_png(2), "image/png")
    kept = cache.get(7)
    assert kept is not None
    assert kept.path.read_bytes() == cover_png(2)
    assert kept.media_type == "image/png"
    assert [p.name for p in (tmp_path / "covers").iterdir()] == [kept.path.name]
    assert cache.get(8) is None


def test_past_its_cap_the_cache_drops_the_covers_fetched_longest_ago(tmp_path: Path) -> None:
    size = len(cover_png(1))
    cache = CoverCache(tmp_path / "covers", max_bytes=3 * size)
    for anilist_id in (1, 2, 3):
        cache.put(anilist_id, f"http://cdn/{anilist_id}.png", cover_png(1), "image/png")
        kept = cache.get(anilist_id)
        assert kept is not None
        os.utime(kept.path, ns=(anilist_id * 10**9, anilist_id * 10**9))  # fetched in order
    cache.put(4, "http://cdn/4.png", cover_png(1), "image/png")
    assert cache.cached_ids() == {2, 3, 4}
    total = sum(p.stat().st_size for p in (tmp_path / "covers").iterdir())
    assert total <= 3 * size


def _count_directory_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """From now on, every directory listed (`Path.iterdir`), in order."""
    listed: list[Path] = []
    iterdir = Path.iterdir

    def counting(self: Path) -> Any:
        listed.append(self)
        return iterdir(self)

    monkeypatch.setattr(Path, "iterdir", counting)
    return listed


def test_serving_a_page_of_covers_reads_the_directory_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library asks for every cover on the page; each request must not list a
    directory of thousands. A cover another process writes is still seen at once."""
    directory = tmp_path / "covers"
    cache = CoverCache(directory, max_bytes=10_000_000)
    for anilist_id in range(1, 31):
        cache.put(anilist_id, f"http://cdn/{anilist_id}.png", cover_png(1), "image/png")
    os.utime(directory, ns=(10**18, 10**18))  # last changed long ago: settled
    reads = _count_directory_reads(monkeypatch)
    assert all(cache.get(anilist_id) is not None for anilist_id in range(1, 31))
    assert reads == [directory]

    other_process = CoverCache(directory, max_bytes=10_000_000)
    other_process.put(99, "http://cdn/99.png", cover_png(2), "image/png", trim=False)
    kept = cache.get(99)
    assert kept is not None
    assert kept.path.read_bytes() == cover_png(2)


def test_a_half_written_or_stray_file_is_never_served(tmp_path: Path) -> None:
    directory = tmp_path / "covers"
    directory.mkdir()
    (directory / ".incoming-abc").write_bytes(b"\x89PNG half")
    (directory / "notes.txt").write_text("hello")
    (directory / "12-abc.html").write_text("<script>")
    assert CoverCache(directory, max_bytes=1000).cached_ids() == frozenset()


# -- the keeper: what a run does --------------------------------------------------------


def _keeper(files: FileServer, tmp_path: Path) -> CoverKeeper:
    return CoverKeeper(_client(files), CoverCache(tmp_path / "covers", max_bytes=10_000_000))


def _media(ids: range | list[int]) -> list[Media]:
    return [Media(i, cover_url=f"{BASE}/{i}.png") for i in ids]


def test_a_run_fetches_each_missing_cover_once_and_a_rerun_fetches_none(tmp_path: Path) -> None:
    files = FileServer()
    for i in range(1, 4):
        files.put(f"{CDN_PATH}/{i}.png", cover_png(i), content_type="image/png")
    keeper = _keeper(files, tmp_path)
    media = [*_media(range(1, 4)), Media(9), Media(10, cover_url="http://evil.example/x.png")]

    first = keeper.keep(media)
    again = keeper.keep(media)

    assert (first.fetched, first.failed, first.left) == (3, 0, 0)
    assert (again.fetched, again.failed) == (0, 0)
    assert files.count() == 3
    assert keeper.cache.cached_ids() == {1, 2, 3}


def test_a_run_reads_the_cache_directory_once_however_many_entries_it_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-run over a big list must not list the directory once per entry (1,000
    entries × 1,000 files was a second of work on every run)."""
    files = FileServer()
    for i in range(1, 61):
        files.put(f"{CDN_PATH}/{i}.png", cover_png(i), content_type="image/png")
    keeper = _keeper(files, tmp_path)
    keeper.keep(_media(range(1, 51)))  # 50 cached
    reads = _count_directory_reads(monkeypatch)
    again = keeper.keep(_media(range(1, 61)))  # 50 kept, 10 new

    assert (again.fetched, files.count()) == (10, 60)
    assert len(reads) == 2  # one to see what is kept, one to trim after the batch


def test_a_run_fetches_at_most_its_limit_and_leaves_the_rest_for_later(tmp_path: Path) -> None:
    files = FileServer()
    for i in range(1, 6):
        files.put(f"{CDN_PATH}/{i}.png", cover_png(i), content_type="image/png")
    keeper = _keeper(files, tmp_path)

    first = keeper.keep(_media(range(1, 6)), limit=2)
    second = keeper.keep(_media(range(1, 6)), limit=2)

    assert (first.fetched, first.left, second.fetched, second.left) == (2, 3, 2, 1)
    assert len(keeper.cache.cached_ids()) == 4


def test_a_process_that_is_stopping_fetches_no_more_covers(tmp_path: Path) -> None:
    files = FileServer()
    for i in range(1, 4):
        files.put(f"{CDN_PATH}/{i}.png", cover_png(i), content_type="image/png")
    stop = threading.Event()
    stop.set()  # SIGTERM arrived: the run ends at its batch boundary, covers wait
    result = _keeper(files, tmp_path).keep(_media(range(1, 4)), stop=stop)
    assert (result.fetched, result.left, files.count()) == (0, 3, 0)


def test_a_cdn_that_keeps_failing_is_left_alone_for_the_run(tmp_path: Path) -> None:
    files = FileServer()  # every cover answers 404
    result = _keeper(files, tmp_path).keep(_media(range(1, 20)))
    assert (result.fetched, result.failed) == (0, GIVE_UP_AFTER)
    assert files.count() == GIVE_UP_AFTER


# -- through a sync ---------------------------------------------------------------------


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings).all_completed()


def test_a_sync_keeps_the_cover_of_every_entry_it_read(world: World) -> None:
    published = world.with_covers()

    report = run_list(world.deps(), completed=True)

    assert report.failure is None
    assert cached_cover_ids(world.runtime) == {SPLIT, AOT, LOST}  # the unmapped one too
    for anilist_id in (SPLIT, AOT, LOST):
        kept = world.runtime.cover_cache.get(anilist_id)
        assert kept is not None
        assert kept.path.read_bytes() == published[anilist_id]
    assert world.cdn.count() == 3
    assert all(r.path.startswith(CDN_PATH) for r in world.cdn.requests)

    run_list(world.deps(), completed=True)
    assert world.cdn.count() == 3  # a re-run downloads nothing


def test_a_preview_keeps_covers_too_and_posts_nothing(world: World) -> None:
    world.with_covers()
    run_list(world.deps(), completed=True, dry_run=True)
    assert cached_cover_ids(world.runtime) == {SPLIT, AOT, LOST}
    assert world.posts() == 0


def test_a_cdn_that_is_down_never_fails_the_sync(world: World) -> None:
    world.with_covers()
    for path in list(world.cdn.files):
        world.cdn.fail(path, 503, 503, 503, 503, 503)
    started = world.clock.monotonic()

    report = run_list(world.deps(), completed=True)

    assert report.failure is None
    # Each cover is tried twice (one short back-off), then the fill gives up: seconds.
    assert world.cdn.count() == 2 * GIVE_UP_AFTER
    assert world.clock.monotonic() - started < 5  # five attempts each took 20 s or more
    assert sum(world.history().values()) == 34  # 24 + 10 posted, the unmapped one not
    assert cached_cover_ids(world.runtime) == frozenset()


def test_with_the_cache_at_zero_no_cover_is_fetched(world: World) -> None:
    world.with_covers()
    world.runtime.settings = world.runtime.settings.model_copy(update={"cover_cache_mb": 0})
    world.runtime.__dict__.pop("cover_cache", None)  # built again from the new settings
    run_list(world.deps(), completed=True)
    assert world.cdn.count() == 0
    assert cached_cover_ids(world.runtime) == frozenset()
    assert not (world.settings.anitrakt_data_dir / "covers").exists()


def test_covers_are_read_with_the_list_from_the_real_schema(world: World) -> None:
    world.with_covers()
    run_list(world.deps(), completed=True)
    asked = [r.query for r in world.anilist.requests if "MediaListCollection" in r.query]
    assert asked
    assert all("coverImage { medium }" in q for q in asked)
    assert all(r.status == 200 for r in world.anilist.requests)
