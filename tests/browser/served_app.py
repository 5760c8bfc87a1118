"""`anitrakt serve` as a subprocess for the browser tests (fixtures in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Page

from anitrakt.config import Settings
from fakes.covers import CDN_PATH, publish_covers
from fakes.files import FileServer
from fakes.server import free_port
from sync_world import World
from waiting import answers, wait_until

FRIBB_PATH = "/Fribb/anime-lists/master/anime-list-full.json"
OTAKU_PATH = "/Otaku-Mappings/anime_mappings.db"
SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]


@dataclass
class AppServer:
    """A running `anitrakt serve`: its base URL, the fakes behind it, its output log."""

    url: str
    world: World
    files: FileServer
    log: Path
    files_url: str

    def covers(self) -> dict[int, bytes]:
        """Every media seeded so far gets a cover on the fake CDN (the file server)."""
        return publish_covers(self.files, self.world.anilist, self.files_url + CDN_PATH)

    def get(self, path: str, *, token: str | None = None) -> httpx.Response:
        """A plain HTTP GET (no browser, no cookies), as a script would send it."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(self.url + path, headers=headers, timeout=10, follow_redirects=False)


StartApp = Callable[..., AppServer]
Screenshot = Callable[[Page, str], None]


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    wait_until(
        answers(url + "/api/health", status=200),
        what="anitrakt serve answering /api/health",
        process=process,
        output=lambda: _tail(log),
    )


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def served_app(
    world: World, settings: Settings, files_url: str, tmp_path: Path, extra_env: dict[str, str]
) -> Iterator[str]:
    """`anitrakt serve` in a subprocess until the block ends; yields its base URL."""
    port = free_port()
    log = tmp_path / "serve.log"
    with world.serve() as upstreams, log.open("wb") as output:
        env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES}
        env.update(upstreams)
        env.update(
            {
                "DATABASE_URL": str(settings.database_url),
                "ANITRAKT_DATA_DIR": str(tmp_path / "data"),
                "FRIBBS_URL": files_url + FRIBB_PATH,
                "OTAKU_URL": files_url + OTAKU_PATH,
                # AniList's image CDN is the file server too (`AppServer.covers()`).
                "ANILIST_COVERS_URL": files_url + CDN_PATH,
                # Never the real release: a refresh fails at once (no such file).
                "ANIBRIDGE_URL": str(tmp_path / "no-anibridge.min.json"),
                # No scheduled sync: a run starting on its own would race the test's.
                "SYNC_INTERVAL_HOURS": "0",
                **extra_env,
            }
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "anitrakt", "serve", "--port", str(port)],
            cwd=tmp_path,  # away from any developer .env
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
