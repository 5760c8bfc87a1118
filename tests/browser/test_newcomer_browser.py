"""What a newcomer meets on the pages (issue 15 §3), in Chromium against `anitrakt serve`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from served_app import AppServer, StartApp

from anitrakt.store.mappings import get_mapping
from anitrakt.store.tokens import clear_tokens, load_tokens, save_tokens
from sync_world import World

pytestmark = pytest.mark.browser

AOT, AOT_TRAKT = 104578, 2001
LOST = 600


def _aot(world: World) -> None:
    world.trakt.add_show(AOT_TRAKT, "Attack on Titan", seasons={1: 25, 2: 12, 3: 22})
    world.media(AOT, "Attack on Titan Season 3 Part 2", episodes=10)
    world.map(AOT, AOT_TRAKT, season=3, offset=12)


def test_the_preview_shows_what_it_will_not_post_and_why(app: AppServer, page: Page) -> None:
    _aot(app.world)
    app.world.media(LOST, "A Show Nobody Mapped", episodes=3)
    app.world.anilist.add_entry(app.world.user.id, AOT, progress=10, status="COMPLETED")
    app.world.anilist.add_entry(app.world.user.id, LOST, progress=3, status="COMPLETED")

    page.goto("/sync")
    page.locator("#completed-preview").click()

    expect(page.get_by_test_id(f"preview-{AOT}")).to_contain_text("S3E13–S3E22")
    skipped = page.get_by_test_id(f"skipped-{LOST}")
    expect(skipped).to_contain_text("A Show Nobody Mapped")
    expect(skipped).to_contain_text("unmapped")
    expect(page.locator("#completed-result")).to_contain_text("1 not posted")


def _forget_stored_tokens(world: World) -> None:
    with world.sessions.begin() as session:
        clear_tokens(session)


def test_trakt_tokens_from_the_environment_show_as_connected(
    world: World, start_app: StartApp, page: Page
) -> None:
    _forget_stored_tokens(world)
    app = start_app(TRAKT_ACCESS_TOKEN=world.tokens.access_token, TRAKT_REFRESH_TOKEN="r-env")
    page.goto(app.url + "/")
    expect(page.locator("#trakt-card")).to_have_attribute("data-connected", "true")
    expect(page.locator("#trakt-username")).to_have_text(app.world.trakt.username)
    page.goto(app.url + "/sync")
    expect(page.locator("#trakt-status")).to_contain_text(
        "Connected as " + app.world.trakt.username
    )


def test_the_trakt_state_on_the_sync_page_is_read_again_after_a_run(
    app: AppServer, page: Page
) -> None:
    tokens = app.world.tokens
    _forget_stored_tokens(app.world)
    page.goto("/sync")
    expect(page.locator("#trakt-status")).to_contain_text("Not connected")

    with app.world.sessions.begin() as session:  # connected meanwhile, e.g. `anitrakt auth`
        save_tokens(session, tokens)
    page.locator("#full-run").click()

    expect(page.locator("#full-result")).to_contain_text("posted 0 plays")
    expect(page.locator("#trakt-status")).to_contain_text(
        "Connected as " + app.world.trakt.username
    )


def test_a_run_summary_says_each_number_once_and_is_not_green_when_entries_are_unmapped(
    app: AppServer, page: Page
) -> None:
    _aot(app.world)
    app.world.media(LOST, "A Show Nobody Mapped", episodes=3)
    app.world.watched(AOT, "1 - 3")
    app.world.watched(LOST, "1 - 2")

    page.goto("/sync")
    page.locator("#full-run").click()

    summary = page.get_by_test_id("run-summary")
    expect(summary).to_have_text("full sync: posted 3 plays for 1 entry; 1 unmapped")
    expect(summary).not_to_have_class(re.compile(r"\bok\b"))
    expect(summary).to_have_class(re.compile(r"\bwarn\b"))


def test_a_manual_mapping_can_be_deleted_from_the_mappings_page(app: AppServer, page: Page) -> None:
    _aot(app.world)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/mappings")
    row = page.get_by_test_id(f"manual-row-{AOT}")
    expect(row.get_by_role("link", name=str(AOT))).to_have_attribute(
        "href", f"https://anilist.co/anime/{AOT}"
    )
    expect(row.get_by_role("link", name=str(AOT_TRAKT))).to_have_attribute(
        "href", re.compile(rf"^https://trakt\.tv/search/trakt/{AOT_TRAKT}\?id_type=show$")
    )
    page.get_by_test_id(f"delete-{AOT}").click()

    expect(page.locator("#mappings-status")).to_contain_text("Deleted")
    expect(page.get_by_test_id(f"manual-row-{AOT}")).to_have_count(0)
    with app.world.sessions() as session:
        assert get_mapping(session, AOT) is None


def test_trakt_can_be_disconnected_from_the_sync_page(app: AppServer, page: Page) -> None:
    access = app.world.tokens.access_token
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/sync")
    expect(page.locator("#trakt-status")).to_contain_text("Connected as")
    page.locator("#trakt-disconnect").click()

    expect(page.locator("#trakt-status")).to_contain_text("Not connected")
    expect(page.locator("#trakt-disconnect")).to_be_hidden()
    assert access not in app.world.trakt.valid_access_tokens
    with app.world.sessions() as session:
        assert load_tokens(session) is None


def test_the_favicon_is_served(app: AppServer, page: Page) -> None:
    response = page.request.get(app.url + "/favicon.ico")

    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")


def test_find_on_trakt_stays_on_screen_at_phone_width(app: AppServer, page: Page) -> None:
    app.world.media(LOST, "A Show Nobody Mapped With A Rather Long Title", episodes=3)
    app.world.watched(LOST, "1 - 2")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/sync")
    page.locator("#full-run").click()
    expect(page.get_by_test_id("run-summary")).to_contain_text("1 unmapped")

    page.goto("/mappings")
    find = page.get_by_test_id(f"find-{LOST}")
    expect(find).to_be_visible()
    box = find.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360


def test_the_sync_page_says_what_each_mode_does(app: AppServer, page: Page) -> None:
    page.goto("/sync")

    expect(page.locator("#help-single")).to_contain_text("posts nothing")
    expect(page.locator("#single-run")).to_contain_text("posts nothing")
    expect(page.locator("#help-full")).to_contain_text("since the last sync")
    expect(page.locator("#help-completed")).to_contain_text("Completed")
    expect(page.locator("#help-watching")).to_contain_text("up to your progress")


def test_the_manual_form_shows_every_bad_field_at_once_in_words(app: AppServer, page: Page) -> None:
    page.goto("/manual")
    page.locator("#anilistId").fill("abc")
    page.locator("#season").fill("x")
    page.locator("#manual-submit").click()

    expect(page.locator("#error-anilistId")).to_contain_text("AniList id must be")
    expect(page.locator("#error-traktId")).to_have_text("Trakt id is required")
    expect(page.locator("#error-season")).to_contain_text("Season must be")
    expect(page.locator("#manual-result")).not_to_contain_text("anilistId")
