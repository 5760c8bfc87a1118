"""The container scenario `scripts/container-test.sh` runs once the image is built.

Usage: python tests/container_e2e.py IMAGE [--podman podman] [--runtime runc]

The fakes (AniList, Trakt) and a webhook receiver (notifications, healthcheck pings)
run here on the host; the container joins the host's network (`--network host`) and
is pointed at them on 127.0.0.1. Every wait polls an external process with a generous
deadline. Each check prints one line; the last line is the tally.
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from anitrakt.config import Settings
from anitrakt.store import migrate
from anitrakt.store.db import create_db_engine, create_session_factory
from fakes.receiver import Receiver
from fakes.server import free_port, serve_in_thread
from sync_world import AOT, AOT_TRAKT, LOST, SPLIT, SPLIT_TRAKT, World
from waiting import HANG_GUARD

# Deadlines for the container's processes on a busy machine; reaching one is a failure.
READY_DEADLINE = HANG_GUARD
ANSWER_DEADLINE = HANG_GUARD
# `podman stop -t` waits this long before SIGKILL (Docker's and podman's default).
STOP_TIMEOUT = 10
# Ulimits this kind of machine accepts (higher ones are refused; the defaults break).
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TOKEN = "container-test-" + secrets.token_hex(8)
EXPECTED = Counter({(SPLIT_TRAKT, s, n): 1 for s in (1, 2) for n in range(1, 13)})


class Failed(Exception):
    pass


class Scenario:
    def __init__(self, image: str, podman: list[str]) -> None:
        self.image = image
        self.podman = podman
        self.passed = 0
        self.tag = "anitrakt-ct-" + secrets.token_hex(4)
        self.volume = self.tag + "-data"
        self.containers: list[str] = []

    # -- plumbing ---------------------------------------------------------------------

    def ok(self, what: str) -> None:
        self.passed += 1
        print(f"  ok: {what}", flush=True)

    def check(self, condition: bool, what: str, detail: Any = "") -> None:
        if not condition:
            raise Failed(f"{what}: {detail}")
        self.ok(what)

    def run(self, *args: str, timeout: float = ANSWER_DEADLINE) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.podman, *args], capture_output=True, text=True, timeout=timeout, check=False
        )

    def start(self, name: str, env: dict[str, str]) -> str:
        container = f"{self.tag}-{name}"
        flags = [f"--env={k}={v}" for k, v in env.items()]
        result = self.run(
            "run", "--detach", "--name", container, "--network", "host", *ULIMITS,
            "--volume", f"{self.volume}:/data", *flags, self.image,
        )  # fmt: skip
        if result.returncode != 0:
            raise Failed(f"podman run {name}: {result.stderr.strip()}")
        self.containers.append(container)
        return container

    def logs(self, container: str) -> str:
        return self.run("logs", container).stdout[-4000:]

    def wait_ready(self, container: str, base: str) -> dict[str, Any]:
        deadline = time.monotonic() + READY_DEADLINE
        while time.monotonic() < deadline:
            state = self.run("inspect", "--format", "{{.State.Running}}", container).stdout
            if state.strip() != "true":
                raise Failed(f"{container} exited:\n{self.logs(container)}")
            try:
                response = httpx.get(f"{base}/readyz", timeout=5)
                if response.status_code == 200:
                    body: dict[str, Any] = response.json()
                    return body
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise Failed(f"{container} never became ready:\n{self.logs(container)}")

    def stop(self, container: str) -> float:
        began = time.monotonic()
        result = self.run("stop", "-t", str(STOP_TIMEOUT), container, timeout=STOP_TIMEOUT + 30)
        took = time.monotonic() - began
        if result.returncode != 0:
            raise Failed(f"podman stop {container}: {result.stderr.strip()}")
        code = self.run("inspect", "--format", "{{.State.ExitCode}}", container).stdout.strip()
        self.check(
            code == "0" and took < STOP_TIMEOUT,
            f"SIGTERM stopped {container.removeprefix(self.tag + '-')} in {took:.1f} s (exit 0)",
            f"exit code {code} after {took:.1f} s (137 means it had to be killed)\n"
            + self.logs(container),
        )
        return took

    def exec_sync(self, container: str) -> dict[str, Any]:
        """`anitrakt sync full --json` in the container; waits out a scheduled run."""
        deadline = time.monotonic() + ANSWER_DEADLINE
        while True:
            result = self.run("exec", container, "anitrakt", "sync", "full", "--json")
            if result.returncode == 0:
                body: dict[str, Any] = json.loads(result.stdout)
                return body
            if "already running" not in result.stderr or time.monotonic() > deadline:
                raise Failed(f"sync in the container: {result.stdout}{result.stderr}")
            time.sleep(1)

    def cleanup(self) -> None:
        for container in self.containers:
            self.run("rm", "--force", "--time", "0", container)
        self.run("volume", "rm", "--force", self.volume)

    # -- the scenario -----------------------------------------------------------------

    def refuses_without_token(self) -> None:
        result = self.run("run", "--rm", "--network", "none", *ULIMITS, self.image)
        self.check(
            result.returncode == 1 and "without ANITRAKT_API_TOKEN" in result.stderr,
            "without ANITRAKT_API_TOKEN the image refuses to listen on 0.0.0.0, saying why",
            f"exit {result.returncode}: {result.stderr.strip()[-500:]}",
        )

    def first_container(self, env: dict[str, str], world: World, receiver: Receiver) -> None:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        container = self.start(
            "first", {**env, "ANITRAKT_PORT": str(port), "SYNC_INTERVAL_HOURS": "0"}
        )
        body = self.wait_ready(container, base)
        self.check(body["checks"]["database"] == "ok", "first container ready (/readyz)", body)
        health = self.run("healthcheck", "run", container)
        self.check(health.returncode == 0, "the image's HEALTHCHECK passes", health.stdout)
        uid = self.run("exec", container, "id", "-u").stdout.strip()
        self.check(uid not in ("", "0"), f"runs as a non-root user (uid {uid})")
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"})
        for anilist_id, trakt_id, season, offset in (
            (SPLIT, SPLIT_TRAKT, 1, 0),
            (AOT, AOT_TRAKT, 3, 12),
        ):
            answer = api.post(
                "/api/manual-map",
                json={
                    "anilistId": anilist_id,
                    "traktId": trakt_id,
                    "season": season,
                    "offset": offset,
                },
            )
            if answer.status_code != 200:
                raise Failed(f"manual-map: {answer.status_code} {answer.text}")
        self.ok("mappings saved through the API with the token")
        report = self.exec_sync(container)
        self.check(
            (report["added"], report["skippedUnmapped"]) == (24, 1),
            "one sync inside the container posted 24 plays, 1 unmapped",
            report,
        )
        self.check(world.history() == EXPECTED, "the fake Trakt has exactly that history")
        titles = [r.fields.get("title") for r in receiver.at("/notify")]
        self.check(
            "anitrakt: full sync" in titles and "anitrakt: 1 unmapped" in titles,
            "Apprise delivered the summary and the unmapped alert",
            titles,
        )
        self.stop(container)

    def second_container(self, env: dict[str, str], world: World, receiver: Receiver) -> None:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        container = self.start("second", {**env, "ANITRAKT_PORT": str(port)})
        body = self.wait_ready(container, base)
        self.check(
            body["checks"]["scheduler"] == "ok", "a new container on the same volume is ready"
        )
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"})
        manual = {row["anilistId"] for row in api.get("/api/mappings").json()["manual"]}
        progress = api.get("/api/progress", params={"anilistId": SPLIT}).json()["lastAbs"]
        status = api.get("/api/status").json()
        self.check(
            manual == {SPLIT, AOT} and progress == 24 and status["lastManualSync"] is not None,
            "mappings, progress and status survived in the volume",
            (manual, progress, status),
        )
        api.get("/api/cron")  # the automated run (unless the scheduler got there first)
        self.wait_for(
            lambda: {"/ping/start", "/ping"} <= set(receiver.paths()),
            "healthcheck pings /start and success around the automated run",
            receiver.paths,
        )
        self.check("/ping/fail" not in receiver.paths(), "no /fail ping", receiver.paths())
        again = self.exec_sync(container)
        self.check(again["added"] == 0, "a second sync posts nothing", again)
        self.check(world.history() == EXPECTED, "still exactly one play per episode on Trakt")
        metrics = api.get("/metrics")
        self.check(
            metrics.status_code == 200 and "anitrakt_sync_runs_total" in metrics.text,
            "/metrics answers with the token",
            metrics.status_code,
        )
        self.stop(container)

    def postgres_container(self, env: dict[str, str]) -> None:
        try:
            with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.tag.replace("-", "_")}"')
        except psycopg.OperationalError as exc:
            print(f"  SKIPPED: PostgreSQL check: no server at 127.0.0.1:5432 ({exc})")
            return
        url = make_url(PG_ADMIN_URL).set(database=self.tag.replace("-", "_"))
        try:
            port = free_port()
            database_url = url.render_as_string(hide_password=False)
            container = self.start(
                "postgres", {**env, "ANITRAKT_PORT": str(port), "DATABASE_URL": database_url}
            )
            body = self.wait_ready(container, f"http://127.0.0.1:{port}")
            self.check(
                body["checks"]["migrations"].startswith("ok"),
                "on PostgreSQL (DATABASE_URL) the container migrates and is ready",
                body,
            )
            self.stop(container)
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')

    def wait_for(self, condition: Callable[[], bool], what: str, detail: Callable[[], Any]) -> None:
        deadline = time.monotonic() + ANSWER_DEADLINE
        while not condition():
            if time.monotonic() > deadline:
                raise Failed(f"{what}: {detail()}")
            time.sleep(0.25)
        self.ok(what)


@contextmanager
def fakes(tmp: Path) -> Iterator[tuple[World, Receiver, dict[str, str]]]:
    """The fakes and the receiver on the host; yields the container's environment."""
    url = f"sqlite:///{tmp / 'fakes.db'}"
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    settings = Settings(_env_file=None, database_url=url, anitrakt_data_dir=tmp)  # type: ignore[call-arg]
    world = World(create_session_factory(engine), settings, real_servers=True)
    world.trakt.add_show(SPLIT_TRAKT, "Split Cour", seasons={1: 12, 2: 12})
    world.trakt.add_show(AOT_TRAKT, "Attack on Titan", seasons={0: 2, 1: 25, 2: 12, 3: 22})
    world.media(SPLIT, "Split Cour", episodes=24)
    world.media(LOST, "Nobody Knows", episodes=3)
    world.watched(SPLIT, "1 - 24")
    world.watched(LOST, "1")
    receiver = Receiver()
    with ExitStack() as stack:
        upstreams = stack.enter_context(world.serve())
        hooks = stack.enter_context(serve_in_thread(receiver)).removeprefix("http://")
        yield (
            world,
            receiver,
            {
                **upstreams,
                "TRAKT_ACCESS_TOKEN": world.tokens.access_token,
                "TRAKT_REFRESH_TOKEN": world.tokens.refresh_token or "",
                "ANITRAKT_HOST": "127.0.0.1",  # the host's network: stay on loopback
                "ANITRAKT_API_TOKEN": TOKEN,
                "NOTIFY_URLS": f"json://{hooks}/notify",
                "NOTIFY_ON": "failure,auth,review,summary",
                "HEALTHCHECK_PING_URL": f"http://{hooks}/ping",
                # No mapping-source download from the container: fail at once, as designed.
                "FRIBBS_URL": "/data/no-fribb.json",
                "OTAKU_URL": "/data/no-otaku.db",
                "ANIBRIDGE_URL": "/data/no-anibridge.min.json",
            },
        )
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("image")
    parser.add_argument("--podman", default="podman")
    parser.add_argument("--runtime", default="runc")
    args = parser.parse_args()
    scenario = Scenario(args.image, [args.podman, "--runtime", args.runtime])
    failed = 0
    with tempfile.TemporaryDirectory(prefix="anitrakt-ct-") as tmp:
        try:
            with fakes(Path(tmp)) as (world, receiver, env):
                scenario.refuses_without_token()
                scenario.first_container(env, world, receiver)
                scenario.second_container(env, world, receiver)
                scenario.postgres_container(env)
        except (Failed, subprocess.TimeoutExpired, httpx.HTTPError) as exc:
            print(f"  FAILED: {exc}", flush=True)
            failed = 1
        finally:
            scenario.cleanup()
    print(f"container-test: {scenario.passed} passed, {failed} failed", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
