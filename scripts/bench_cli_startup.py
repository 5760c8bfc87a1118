"""How long `anitrakt status` takes from start to answer: median of N runs (default 5).

Prints wall time and CPU time (user + system) per run and their medians, on a fresh
SQLite database in a temporary folder. Not a test: the numbers depend on the machine
and its load; compare before/after on the same machine.

    .venv/bin/python scripts/bench_cli_startup.py [--runs 5] [-- anitrakt args…]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("args", nargs="*", default=["status"])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANITRAKT_", "TRAKT_"))}
        env["DATABASE_URL"] = f"sqlite:///{Path(folder) / 'anitrakt.db'}"
        command = [sys.executable, "-m", "anitrakt", *options.args]
        subprocess.run(
            [*command[:3], "db", "upgrade"], env=env, cwd=folder, check=True, capture_output=True
        )
        _run(command, env, folder)  # warm the file cache and the .pyc files
        walls, cpus = [], []
        for _ in range(options.runs):
            wall, cpu = _run(command, env, folder)
            walls.append(wall)
            cpus.append(cpu)
            print(f"anitrakt {' '.join(options.args)}: wall {wall:.3f} s, cpu {cpu:.3f} s")
    print(
        f"median of {options.runs}: wall {statistics.median(walls):.3f} s, "
        f"cpu {statistics.median(cpus):.3f} s"
    )


if __name__ == "__main__":
    main()
