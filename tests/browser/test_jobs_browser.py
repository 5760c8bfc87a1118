"""A sync started from /sync runs as a background job: the page and the banner on every
page show its progress while it runs, and the page shows its report when it ends."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from playwright.sync_api import Page, expect
from served_app import AppServer, Screenshot

from sync_world import World

pytestmark = pytest.mark.browser

# Attack on Titan Season 3 Part 2: AniList episode e is Trakt S3E(12+e).
AOT, AOT_TRAKT = 104578, 2001
# How long the held history post may wait for the test to look (an event, not a sleep).
HOLD_SECONDS = 60.0


def _aot(world: World) -> None:
    world.trakt.add_show(AOT_TRAKT, "Attack on Titan", seasons={1: 25, 2: 12, 3: 22})
    world.media(AOT, "Attack on Titan Season 3 Part 2", episodes=10)
    world.map(AOT, AOT_TRAKT, season=3, offset=12)
    world.anilist.add_entry(world.user.id, AOT, progress=10, status="COMPLETED")


def test_run_starts_a_job_whose_progress_shows_everywhere_then_its_report(
    app: AppServer, page: Page, screenshot: Screenshot
) -> None:
    _aot(app.world)
    release = threading.Event()
    held = threading.Event()

    def hold_history(method: str, path: str, phase: str) -> bool:
        if method == "POST" and path == "/sync/history" and phase == "before":
            held.set()
            release.wait(HOLD_SECONDS)
        return False

    app.world.trakt_gate.hook = hold_history
    try:
        page.goto("/sync")
        page.locator("#completed-run").click()

        # The history post is held: the job is posting, and says so.
        expect(page.locator("#completed-result")).to_contain_text("Completed sync: posting 0/10")
        expect(page.locator("#completed-result progress")).to_have_attribute("max", "10")
        banner = page.get_by_test_id("job-banner-text")
        expect(banner).to_have_text("Completed sync: posting 0/10")
        screenshot(page, "running-job")

        # Another page, and a reload of /sync, still show the running job.
        page.goto("/mappings")
        expect(banner).to_have_text("Completed sync: posting 0/10")
        page.goto("/sync")
        expect(page.locator("#completed-result")).to_contain_text("posting 0/10")
        expect(page.locator("#completed-run")).to_be_disabled()
    finally:
        release.set()

    expect(page.locator("#completed-result")).to_contain_text("posted 10")
    expect(page.locator("#completed-result a[href='/logs']")).to_be_visible()
    expect(page.locator("#job-banner")).to_be_hidden(timeout=20_000)
    expect(page.locator("#completed-run")).to_be_enabled()
    assert held.is_set()
    assert app.world.history() == Counter({(AOT_TRAKT, 3, n): 1 for n in range(13, 23)})
