"""The pages in a real browser (Debian's Chromium) against `anitrakt serve` and the fakes.

Each test does what a person would do — click, type, paste a URL — and asserts what they
would see on the page and what the fake Trakt ended up with. The fixtures (conftest.py)
start a fresh server on a fresh SQLite file per test; `app.world` seeds AniList, Trakt
and the mappings, and reads back Trakt's history.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import Browser, Page, expect
from served_app import FRIBB_PATH, AppServer, Screenshot, StartApp

from anitrakt.store.mappings import get_mapping_values
from fakes.files import fribb_json
from sync_world import JJK_2, JJK_TRAKT, World

pytestmark = pytest.mark.browser

TOKEN = "browser-test-api-token-0123456789"
# Attack on Titan Season 3 Part 2: AniList episode e is Trakt S3E(12+e).
AOT, AOT_TRAKT = 104578, 2001
# A show no mapping source knows: it can only be fixed by hand.
LOST, LOST_TRAKT = 600, 6001
FRIBB_LIST = [
    {"anilist_id": AOT, "type": "TV", "tvdb_id": 267440, "themoviedb_id": {"tv": 1429}},
    {"anilist_id": 21, "type": "TV", "tvdb_id": 81797, "themoviedb_id": {"tv": 37854}},
    {"anilist_id": 21519, "type": "MOVIE", "imdb_id": ["tt5311514"]},
]


def _aot(world: World) -> None:
    """Attack on Titan on Trakt and AniList, mapped by hand to season 3 after 12 episodes."""
    world.trakt.add_show(AOT_TRAKT, "Attack on Titan", seasons={1: 25, 2: 12, 3: 22})
    world.media(AOT, "Attack on Titan Season 3 Part 2", episodes=10)
    world.map(AOT, AOT_TRAKT, season=3, offset=12)


def test_dashboard_shows_counts_and_update_refreshes_them(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    page.goto("/")
    expect(page.locator("#count-fribbs")).to_have_text("0")
    expect(page.locator("#last-refresh-fribbs")).to_have_text("Never")

    app.files.put(FRIBB_PATH, fribb_json(FRIBB_LIST), content_type="application/json")
    page.locator("#update-fribbs").click()

    expect(page.locator("#count-fribbs")).to_have_text(str(len(FRIBB_LIST)))
    expect(page.locator("#last-refresh-fribbs")).not_to_have_text("Never")
    expect(page.locator("#result-fribbs")).not_to_be_empty()
    expect(page.locator("#update-fribbs")).to_be_enabled()
    expect(page.locator("#trakt-username")).to_have_text(app.world.trakt.username)
    screenshot(page, "dashboard")


def test_completed_preview_lists_the_rows_and_run_posts_them(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    _aot(app.world)
    app.world.anilist.add_entry(app.world.user.id, AOT, progress=10, status="COMPLETED")
    app.world.anilist.add_entry(app.world.user.id, 77, progress=2, status="CURRENT")

    page.goto("/sync")
    page.locator("#completed-preview").click()

    rows = page.locator("#completed-table tbody tr")
    expect(rows).to_have_count(1)
    row = page.get_by_test_id(f"preview-{AOT}")
    expect(row).to_contain_text("Attack on Titan Season 3 Part 2")
    expect(row).to_contain_text("S3E13–S3E22")
    assert app.world.history() == Counter(), "a preview must post nothing"
    expect(page.locator("#trakt-status")).to_contain_text(app.world.trakt.username)
    screenshot(page, "sync")

    page.locator("#completed-run").click()

    expect(page.locator("#completed-result")).to_contain_text("posted 10")
    expect(page.locator("#completed-result a[href='/logs']")).to_be_visible()
    assert app.world.history() == Counter({(AOT_TRAKT, 3, n): 1 for n in range(13, 23)})


def test_a_pasted_anilist_url_saves_the_right_id(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    app.world.trakt.add_show(AOT_TRAKT, "Attack on Titan", seasons={3: 22})
    page.goto("/manual")

    page.get_by_label("AniList id or URL").fill(
        f"https://anilist.co/anime/{AOT}/Shingeki-no-Kyojin-3-Part-2/"
    )
    page.get_by_label("Trakt id, slug or URL").fill(str(AOT_TRAKT))
    page.get_by_label("Trakt season").fill("3")
    page.get_by_label("Offset").fill("12")
    page.locator("#manual-submit").click()

    expect(page.locator("#manual-result")).to_contain_text(f"AniList {AOT} → Trakt {AOT_TRAKT}")
    with app.world.sessions() as session:
        saved = get_mapping_values(session, [AOT])[AOT]
    assert (saved.trakt_id, saved.trakt_season, saved.episode_offset, saved.manual) == (
        AOT_TRAKT,
        3,
        12,
        True,
    )
    screenshot(page, "manual")


def test_a_bad_manual_mapping_is_explained_next_to_the_field(app: AppServer, page: Page) -> None:
    page.goto("/manual")
    page.get_by_label("AniList id or URL").fill("https://example.com/anime/nope")
    page.get_by_label("Trakt id, slug or URL").fill("1")
    page.locator("#manual-submit").click()

    expect(page.locator("#manual-result")).to_contain_text("Not saved")
    with app.world.sessions() as session:
        assert get_mapping_values(session, [AOT]) == {}


def test_an_unmapped_entry_is_fixed_through_find_on_trakt(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    world = app.world
    world.trakt.add_show(LOST_TRAKT, "Nobody Knows", seasons={1: 12, 2: 12})
    world.media(LOST, "Nobody Knows", episodes=12)
    world.anilist.add_entry(world.user.id, LOST, progress=2, status="COMPLETED")

    page.goto("/sync")
    page.locator("#completed-run").click()
    expect(page.locator("#completed-result")).to_contain_text("Unmapped: Nobody Knows")
    assert world.history() == Counter()

    page.goto("/mappings", wait_until="networkidle")
    expect(page.get_by_test_id(f"unmapped-{LOST}")).to_contain_text("Nobody Knows")
    page.get_by_test_id(f"find-{LOST}").click()
    page.get_by_label("Season (optional)").fill("2")
    page.get_by_test_id(f"pick-{LOST_TRAKT}").click()
    expect(page.locator("#find-result")).to_contain_text(f"Saved: AniList {LOST} → Trakt")
    expect(page.get_by_test_id(f"manual-row-{LOST}")).to_contain_text("Nobody Knows")
    # The run saw the entry, so its mapping can be found by what AniList calls it.
    page.get_by_label("Search by title").fill("nobody")
    expect(page.locator("#manual-count")).to_have_text("1")
    page.get_by_label("Search by title").fill("somebody")
    expect(page.locator("#manual-count")).to_have_text("0")
    page.get_by_label("Search by title").fill("")
    screenshot(page, "mappings")

    page.goto("/sync")
    page.locator("#completed-run").click()
    expect(page.locator("#completed-result")).to_contain_text("posted 2")
    assert world.history() == Counter({(LOST_TRAKT, 2, 1): 1, (LOST_TRAKT, 2, 2): 1})


def test_a_held_sequel_is_fixed_from_the_mappings_page(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    # JJK's 2nd Season is S1E25–47 on Trakt, but Fribb says season 2 and AniList gives
    # no dates here: the run holds it instead of posting onto season 1's episodes.
    world = app.world
    world.jujutsu_kaisen(dated=False)
    world.watched(JJK_2, "1 - 3")

    page.goto("/sync")
    page.locator("#full-run").click()
    expect(page.locator("#full-result")).to_contain_text("Held for review: Jujutsu Kaisen")
    assert world.history() == Counter()

    page.goto("/mappings", wait_until="networkidle")
    row = page.get_by_test_id(f"review-{JJK_2}")
    expect(row).to_contain_text("1–3")
    expect(row).to_contain_text("season 2")
    row.get_by_label("Season").fill("1")
    row.get_by_label("Episode").fill("25")
    page.get_by_test_id(f"fix-{JJK_2}").click()
    expect(row).to_contain_text("the next sync posts what was held")
    expect(page.get_by_test_id(f"manual-row-{JJK_2}")).to_contain_text("24")
    screenshot(page, "review")

    page.goto("/sync")
    page.locator("#full-run").click()
    expect(page.locator("#full-result")).to_contain_text("posted 3")
    assert world.history() == Counter({(JJK_TRAKT, 1, n): 1 for n in (25, 26, 27)})


def test_an_override_changes_where_the_next_episode_lands(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    world = app.world
    _aot(world)
    world.anilist.add_entry(world.user.id, AOT, progress=1, status="CURRENT")
    # AniList episode 1 is show-absolute 25 + 12 + 12 + 1 = 50 (S3E13); send it to S2E12.

    # Let the page's own first load of the list finish, as a person would see it first.
    page.goto("/overrides", wait_until="networkidle")
    page.get_by_label("Trakt show id").fill(str(AOT_TRAKT))
    page.get_by_label("Show-absolute episode").fill("50")
    page.locator("#ov-season").fill("2")
    page.locator("#ov-episode").fill("12")
    page.locator("#override-submit").click()

    expect(page.locator("#override-result")).to_contain_text("S2E12")
    expect(page.get_by_test_id(f"override-{AOT_TRAKT}-50")).to_be_visible()
    expect(page.locator("#overrides-count")).to_have_text("1")
    screenshot(page, "overrides")

    page.goto("/sync")
    page.locator("#watching-run").click()
    expect(page.locator("#watching-result")).to_contain_text("posted 1")
    assert world.history() == Counter({(AOT_TRAKT, 2, 12): 1})


def test_logs_show_the_run_and_filter_by_level(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    world = app.world
    _aot(world)
    world.anilist.add_entry(world.user.id, AOT, progress=2, status="COMPLETED")
    world.events.error("a failure for the filter to find")
    world.events.flush()
    page.goto("/sync")
    page.locator("#completed-run").click()
    expect(page.locator("#completed-result")).to_contain_text("posted 2")

    page.goto("/logs")
    rows = page.locator("#log-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#log-table")).to_contain_text("a failure for the filter to find")
    levels = set(rows.evaluate_all("rows => rows.map(r => r.dataset.level)"))
    assert {"info", "error"} <= levels
    screenshot(page, "logs")

    page.get_by_label("Level").select_option("error")

    expect(page.locator("#log-table tbody tr[data-level='info']")).to_have_count(0)
    expect(page.locator("#log-table")).to_contain_text("a failure for the filter to find")


def test_with_a_token_pages_need_a_login_and_the_api_a_bearer(
    start_app: StartApp, browser: Browser, screenshot: Screenshot
) -> None:
    app = start_app(ANITRAKT_API_TOKEN=TOKEN)
    assert app.get("/api/health").status_code == 200
    assert app.get("/api/status").status_code == 401
    assert app.get("/api/status", token=TOKEN).status_code == 200
    anonymous = app.get("/logs")
    assert anonymous.status_code in (302, 303, 307)
    assert anonymous.headers["location"].startswith("/login")

    context = browser.new_context(base_url=app.url)
    try:
        page = context.new_page()
        page.goto("/logs")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Flogs$|/login\?next=/logs$"))
        expect(page.locator("#nav")).to_have_count(0)
        screenshot(page, "login")

        page.get_by_label("API token").fill("not-the-token")
        page.locator("#login-submit").click()
        expect(page.locator("#login-error")).to_have_text("Wrong token.")

        page.get_by_label("API token").fill(TOKEN)
        page.locator("#login-submit").click()
        expect(page).to_have_url(app.url + "/logs")
        expect(page.locator("#logout-button")).to_be_visible()
        body = page.content()
        assert TOKEN not in body
        assert app.world.tokens.access_token not in body
        page.locator("#logout-button").click()
        expect(page).to_have_url(re.compile(r"/login"))
    finally:
        context.close()
