"""One `serve`'s scheduler in a process of its own, driven line by line (not a test).

    python scheduler_peer.py DATABASE_URL DATA_DIR

`tests/usecases/test_shared_scheduler.py` starts two of these on one PostgreSQL database.
Each runs the real `Scheduler` loop and `cron_tick` (gate and leases) as `serve` does,
but its timer is stdin: `tick` is one look at the gate, `stop` ends the loop. Each look
prints its outcome (`ran`, `not due`, `another sync is running`, …). The automated run
itself prints `started` and waits for `go`, so the test decides exactly how two runs
interleave instead of hoping for a race; then, under the real sync lease, it does what
a finished automated sync records: `status:sync:last-run-auto`, and one log line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from anitrakt.config import Settings
from anitrakt.domain import keys
from anitrakt.store.system_config import set_config
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.scheduler import Scheduler, cron_tick
from anitrakt.usecases.sync.lock import sync_lock
from anitrakt.usecases.sync.report import SyncReport

RAN_LINE = "automated sync ran in process"


def say(line: str) -> None:
    print(line, flush=True)


def expect(command: str) -> None:
    given = sys.stdin.readline().strip()
    if given != command:
        raise SystemExit(f"expected {command!r}, got {given!r}")


def automated_run(runtime: Runtime) -> SyncReport:
    say("started")
    expect("go")
    with sync_lock(runtime.sessions), runtime.sessions.begin() as session:
        set_config(session, keys.STATUS_SYNC_LAST_RUN_AUTO, runtime.now().isoformat())
        runtime.events.info(f"{RAN_LINE} {os.getpid()}", session=session)
    return SyncReport("full", dry_run=False)


def next_command(_seconds: float) -> bool:
    """The scheduler's wait: True (stop) on `stop`, False (look now) on `tick`."""
    command = sys.stdin.readline().strip()
    if command not in ("tick", "stop"):
        raise SystemExit(f"unknown command {command!r}")
    return command == "stop"


def main() -> None:
    url, data_dir = sys.argv[1], Path(sys.argv[2])
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        anitrakt_data_dir=data_dir,
        sync_interval_hours=6,
    )
    runtime = Runtime.open(settings)
    try:

        def tick(given: Runtime) -> None:
            say(cron_tick(given, automated_run).tick.value)

        say("ready")
        Scheduler(runtime, tick=tick, wait=next_command).run()
    finally:
        runtime.close()
    say("stopped")


if __name__ == "__main__":
    main()
