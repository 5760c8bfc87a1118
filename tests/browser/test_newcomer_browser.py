"""What a newcomer meets on the pages (issue 15 §3), in Chromium against `anitrakt serve`."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from served_app import AppServer

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
