"""/library in a real browser: every entry with its state, filtered; an entry's episodes →
Trakt S/E with the rule; mapping an unmapped entry and resetting progress from there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect
from served_app import AppServer, Screenshot

from anitrakt.store.progress import get_progress, set_progress

pytestmark = pytest.mark.browser

# Attack on Titan Season 3 Part 2: AniList episode e is Trakt S3E(12+e).
AOT, AOT_TRAKT = 104578, 2001
# A show no mapping source knows: it can only be fixed by hand.
LOST, LOST_TRAKT = 600, 6001


def _library(app: AppServer) -> None:
    world = app.world
    world.trakt.add_show(AOT_TRAKT, "Attack on Titan", seasons={1: 25, 2: 12, 3: 22})
    world.media(AOT, "Attack on Titan Season 3 Part 2", episodes=10)
    world.map(AOT, AOT_TRAKT, season=3, offset=12)
    world.anilist.add_entry(world.user.id, AOT, progress=10, status="COMPLETED")
    world.trakt.add_show(LOST_TRAKT, "Nobody Knows", seasons={1: 3})
    world.media(LOST, "Nobody Knows", episodes=3)
    world.anilist.add_entry(world.user.id, LOST, progress=2, status="CURRENT")
    with world.sessions.begin() as session:
        set_progress(session, AOT, 10)


def test_the_library_shows_each_entry_its_state_and_where_episodes_landed(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    _library(app)
    page.goto("/")
    page.get_by_test_id("nav-library").click()

    expect(page.locator("#library-counts")).to_contain_text("2 entries: 1 OK, 0 pending")
    aot, lost = page.get_by_test_id(f"library-{AOT}"), page.get_by_test_id(f"library-{LOST}")
    expect(aot).to_contain_text("OK")
    expect(aot).to_contain_text(f"manual: Trakt {AOT_TRAKT} S3 +12")
    expect(lost).to_contain_text("Unmapped")
    page.get_by_label("State").select_option("unmapped")
    expect(page.locator("#library-table tbody tr")).to_have_count(1)
    expect(lost).to_be_visible()
    page.get_by_label("State").select_option("")
    page.get_by_label("Search titles").fill("titan")
    expect(page.locator("#library-table tbody tr")).to_have_count(1)

    page.get_by_test_id(f"open-{AOT}").click()
    expect(page.locator("#detail-h")).to_have_text("Attack on Titan Season 3 Part 2")
    expect(page.locator("#detail-episodes tbody tr")).to_have_count(10)
    first = page.get_by_test_id("episode-1")
    expect(first).to_contain_text("S3E13")
    expect(first).to_contain_text("on Trakt")
    expect(page.locator("#detail-anilist")).to_have_attribute(
        "href", f"https://anilist.co/anime/{AOT}"
    )
    expect(page.locator("#detail-trakt")).to_have_attribute(
        "href", f"https://trakt.tv/shows/{AOT_TRAKT}"
    )
    screenshot(page, "library-detail")

    # Reset asks first; Cancel changes nothing, Yes forgets the progress.
    page.locator("#fix-reset").click()
    page.locator("#fix-reset-no").click()
    expect(page.locator("#fix-reset-confirm")).to_be_hidden()
    page.locator("#fix-reset").click()
    page.locator("#fix-reset-yes").click()
    expect(page.locator("#fix-reset-result")).to_contain_text("reset")
    expect(page.locator("#detail-state")).to_contain_text("Pending")
    with app.world.sessions() as session:
        assert get_progress(session, AOT) == 0


def test_an_unmapped_entry_is_mapped_from_its_detail(app: AppServer, page: Page) -> None:
    _library(app)
    page.goto(f"/library#{LOST}")

    expect(page.locator("#detail-h")).to_have_text("Nobody Knows")
    expect(page.locator("#detail-state")).to_contain_text("Unmapped")
    page.get_by_label("Trakt id, slug or URL").fill(str(LOST_TRAKT))
    page.get_by_label("Trakt season").fill("1")
    page.locator("#fix-map-submit").click()

    expect(page.locator("#fix-map-result")).to_contain_text("Saved")
    expect(page.locator("#detail-state")).to_contain_text("Pending")
    expect(page.get_by_test_id(f"library-{LOST}")).to_contain_text(f"manual: Trakt {LOST_TRAKT}")
    expect(page.get_by_test_id("episode-1")).to_contain_text("S1E1")


def _shown(image: Locator) -> bool:
    """Whether the browser decoded the image (a broken one has no natural width)."""
    return bool(image.evaluate("i => i.complete && i.naturalWidth > 0"))


def test_covers_show_on_the_preview_the_library_and_the_unmapped_list(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    _library(app)
    app.covers()
    page.goto("/sync")
    page.locator("#completed-preview").click()
    expect(page.locator("#completed-table tbody")).to_contain_text("Nothing to post")
    page.locator("#watching-preview").click()
    # The watching entry nobody mapped is listed as skipped, with its cover.
    preview = page.get_by_test_id(f"skipped-{LOST}").locator("img.cover")
    expect(preview).to_have_attribute("src", f"/covers/{LOST}")
    expect(preview).to_have_js_property("complete", True)
    assert _shown(preview)

    page.goto("/library")
    for entry in (AOT, LOST):
        cover = page.get_by_test_id(f"library-{entry}").locator("img.cover")
        expect(cover).to_have_attribute("src", f"/covers/{entry}")
        expect(cover).to_have_js_property("complete", True)
        assert _shown(cover)
    screenshot(page, "library")

    # A real run records the unmapped entry; the list shows it with its cover.
    page.goto("/sync")
    page.locator("#watching-run").click()
    expect(page.locator("#watching-result")).to_contain_text("unmapped")
    expect(page.locator("#watching-run")).to_be_enabled()
    page.goto("/mappings")
    unmapped = page.get_by_test_id(f"unmapped-{LOST}").locator("img.cover")
    expect(unmapped).to_have_js_property("complete", True)
    assert _shown(unmapped)
    # Every cover came from the app's own origin: the CDN saw the server, not the browser.
    assert {r.headers.get("user-agent", "")[:8] for r in app.files.requests} == {"anitrakt"}
