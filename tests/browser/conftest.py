"""Browser-test fixtures: the real `anitrakt serve`, the fakes as real servers, Chromium.

What runs where:

- the fake AniList and Trakt (`World(real_servers=True).serve()`) and a static file server
  for the Fribb/Otaku downloads run in this process, on real local sockets;
- `anitrakt serve` runs as a subprocess, exactly as a user starts it, on a SQLite file
  that this process shares: tests seed mappings, tokens and the AniList library through
  `World` and then look at what the pages show;
- Debian's Chromium (`/usr/bin/chromium`, put there by scripts/ensure-chromium.sh, which
  `make test` runs) is driven through Playwright. Playwright's own browser download
  cannot work on our machines, so it is never used. One browser per session (start-up
  is the slow part); a fresh context, so fresh cookies, per test.

When Chromium is missing every browser test is SKIPPED with the reason (ensure-chromium.sh
passes it in ANITRAKT_CHROMIUM_MISSING); a Chromium that is there but fails to start is
an error, not a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from served_app import FRIBB_PATH, OTAKU_PATH, AppServer, Screenshot, StartApp, served_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.config import Settings
from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine
from fakes.files import FileServer, fribb_json, otaku_db
from fakes.server import serve_in_thread
from sync_world import World

CHROMIUM = os.environ.get("ANITRAKT_CHROMIUM", "/usr/bin/chromium")
# Headless, no sandbox (we run as root in CI), and nothing that talks to Google's servers:
# the tests must work offline and must not wait on background network traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Playwright waits this long (ms) for an element or a navigation before failing a test.
ACTION_TIMEOUT_MS = 10_000


# --- the database, shared with the server ------------------------------------------


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file (the browser tests run on SQLite only: the pages sit on the
    same store code the API tests already run against PostgreSQL)."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'anitrakt.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    """Fake AniList + fake Trakt (with a connected Trakt account) over the shared database."""
    return World(sessions, settings, real_servers=True, sources_loaded=False)


# --- the upstream files and the app server ------------------------------------------


@pytest.fixture(scope="session")
def _file_server() -> Iterator[tuple[FileServer, str]]:
    server = FileServer()
    with serve_in_thread(server) as base_url:
        yield server, base_url


@pytest.fixture
def files(_file_server: tuple[FileServer, str]) -> Iterator[FileServer]:
    """The mapping-source "upstream"; empty lists until a test puts files in it."""
    server, _ = _file_server
    server.reset()
    server.put(FRIBB_PATH, fribb_json([]), content_type="application/json")
    server.put(OTAKU_PATH, otaku_db([]))
    yield server
    server.reset()


@pytest.fixture
def start_app(
    world: World,
    settings: Settings,
    files: FileServer,
    _file_server: tuple[FileServer, str],
    tmp_path: Path,
) -> Iterator[StartApp]:
    """Start the app with extra environment (e.g. `ANITRAKT_API_TOKEN="…"`); stopped after."""
    with ExitStack() as stack:

        def start(**extra_env: str) -> AppServer:
            url = stack.enter_context(
                served_app(world, settings, _file_server[1], tmp_path, extra_env)
            )
            return AppServer(url, world, files, tmp_path / "serve.log", _file_server[1])

        yield start


@pytest.fixture
def app(start_app: StartApp) -> AppServer:
    """The app with no API token (the loopback default)."""
    return start_app()


# --- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def _playwright() -> Iterator[Playwright]:
    missing = os.environ.get("ANITRAKT_CHROMIUM_MISSING")
    if missing:
        pytest.skip(f"browser tests skipped: {missing}")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(scripts/ensure-chromium.sh installs it; `make test` runs it)"
        )
    # Assertions poll as long as actions wait: the server shares the CPU with the suite.
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(_playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless. Playwright gives `launch()` a fresh temporary profile
    (user-data dir) and deletes it on close, so no state leaks between runs."""
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, app: AppServer) -> Iterator[BrowserContext]:
    """A fresh context (cookies, storage) whose relative URLs go to the app."""
    context = browser.new_context(base_url=app.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def screenshot() -> Screenshot:
    """`screenshot(page, "dashboard")` saves docs/screenshots/dashboard.png, only when
    ANITRAKT_SCREENSHOTS=1 (the README shows them): plain test runs never dirty the tree."""
    enabled = os.environ.get("ANITRAKT_SCREENSHOTS") == "1"

    def save(page: Page, name: str) -> None:
        if enabled:
            SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS_DIR / f"{name}.png", full_page=True)

    return save
