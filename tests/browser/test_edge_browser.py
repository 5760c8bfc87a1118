"""The web edge in a real browser (issue 12, points 3 and 8): framing refused, the CSP holds.

Chromium enforces what the headers say: a page on another origin that frames `/sync`
gets nothing to click, and every page works with a policy that allows no inline
script, while a script injected inline is refused.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from served_app import AppServer, StartApp

from fakes.files import FileServer

pytestmark = pytest.mark.browser

TOKEN = "browser-edge-token-0123456789abcdef"
ATTACK_PAGE = "/attacker/frame.html"
# Recorded before any page script runs (Playwright injects it outside the page's CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def attacker_url(files: FileServer, _file_server: tuple[FileServer, str]) -> str:
    """Where the hostile page lives: the file server, another origin than the app's."""
    return _file_server[1] + ATTACK_PAGE


@pytest.fixture
def csp_errors(page: Page) -> list[str]:
    """Console messages about the Content Security Policy, from any frame of the page."""
    seen: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            seen.append(message.text)

    page.on("console", listen)
    page.add_init_script(RECORD_VIOLATIONS)
    return seen


def test_a_cross_origin_page_that_frames_sync_gets_nothing(
    app: AppServer, page: Page, files: FileServer, attacker_url: str
) -> None:
    files.put(
        ATTACK_PAGE,
        f"<!doctype html><title>win a prize</title><p>Click the button!</p>"
        f'<iframe id="victim" src="{app.url}/sync" width="800" height="600"></iframe>'.encode(),
        content_type="text/html; charset=utf-8",
    )

    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refused:
        page.goto(attacker_url)

    assert "'none'" in refused.value.text
    expect(page.locator("#victim")).to_be_visible()
    page.wait_for_load_state("load")
    for frame in page.frames:
        assert frame.locator("#full-run").count() == 0, frame.url
    assert app.world.history() == {}


PAGE_WORKS = {
    "/": lambda page, app: expect(page.locator("#trakt-username")).to_have_text(
        app.world.trakt.username
    ),
    "/sync": lambda page, app: expect(page.locator("#trakt-status")).to_contain_text(
        app.world.trakt.username
    ),
    "/mappings": lambda page, _app: expect(page.locator("#manual-page")).to_have_text(
        "Page 1 of 1"
    ),
    "/logs": lambda page, _app: expect(page.locator("#log-table tbody tr").first).to_be_visible(),
    "/docs": lambda page, _app: expect(page.locator("#docs-index li").first).to_be_visible(),
}


def test_every_page_works_under_the_csp_and_inline_script_is_refused(
    app: AppServer, page: Page, csp_errors: list[str]
) -> None:
    for path, works in PAGE_WORKS.items():
        page.goto(path)
        works(page, app)
        assert page.evaluate("window.__cspViolations") == [], path

    # Forms that post through fetch (CSRF header, connect-src 'self').
    page.goto("/overrides", wait_until="networkidle")
    page.locator("#ov-traktId").fill("4242")
    page.locator("#ov-abs").fill("3")
    page.locator("#ov-season").fill("1")
    page.locator("#ov-episode").fill("3")
    page.locator("#override-submit").click()
    expect(page.locator("#overrides-count")).to_have_text("1")
    page.goto("/manual")
    page.locator("#manual-submit").click()
    expect(page.locator("#error-anilistId")).not_to_be_empty()
    assert page.evaluate("window.__cspViolations") == []
    assert csp_errors == []

    # What an injected payload would try: an inline script and an inline handler.
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__inlineRan = true";
          document.body.append(s);
          const b = document.createElement("button");
          b.id = "injected";
          b.setAttribute("onclick", "window.__handlerRan = true");
          b.textContent = "x";
          document.body.append(b);
        }"""
    )
    page.locator("#injected").click()
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("window.__inlineRan === undefined && window.__handlerRan === undefined")


def test_logging_in_works_under_the_csp(
    start_app: StartApp, page: Page, csp_errors: list[str]
) -> None:
    app = start_app(ANITRAKT_API_TOKEN=TOKEN)

    page.goto(app.url + "/sync")
    page.get_by_label("API token").fill(TOKEN)
    page.locator("#login-submit").click()

    expect(page).to_have_url(app.url + "/sync")
    expect(page.locator("#trakt-status")).to_contain_text(app.world.trakt.username)
    assert page.evaluate("window.__cspViolations") == []
    assert csp_errors == []
