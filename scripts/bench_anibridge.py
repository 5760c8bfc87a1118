"""Benchmark: stream-parse and REFRESH a 40 MB anibridge-mappings release (not a test).

    .venv/bin/python scripts/bench_anibridge.py [--mb 40] [--file SAMPLE]
        [--anilist N] [--database-url URL] [--skip-parser]

The real release is far larger than the curated sample in ../shared/data, so this
builds a synthetic one from it: the sample's `anilist:` members, plus the reverse
members a release also carries (`tmdb_show:…`, `mal:…` → `anilist:…`, about three per
AniList member as in the sample), repeated with every id shifted per copy until the
file reaches the size asked for. It is written minified (as `mappings.min.json`) and
zstd-compressed (as `mappings.json.zst`).

Each measurement runs in a fresh Python process and prints wall time, CPU time (the
machine may be shared) and peak RSS (`VmHWM`): the interpreter with anitrakt imported,
then the parser streaming the file and counting records (what a refresh that inserts
in batches pays), then the parser keeping every record in a list, then the zstd file
streamed through `decompress_stream` into the parser.

The mix is pessimistic: copies of the sample make ~280k AniList members (the costly
kind), where a real release can have only as many as AniList has anime, a few tens of
thousands, beside more of the other members. `--anilist N` builds that realistic mix
instead: after N AniList members, the copies carry only the other members.

Then the REAL refresh path, each in a fresh process: the release is served over local
HTTP (`python -m http.server` in a process of its own, so its memory does not count)
with a `stats.json` beside it, and `refresh_source(runtime, ANIBRIDGE)` downloads it to
a temporary file, streams it through the parser and swaps ranges + ids into a migrated
SQLite database (or `--database-url`) in one transaction — for `mappings.min.json` and
for `mappings.json.zst` — then a second refresh (stats.json unchanged: no download), and
10,000 id lookups from the loaded index. Printed: wall and CPU time of the refresh,
peak RSS of that process (the interpreter with the whole app imported, as `serve` has
it), rows stored, the unchanged check, and the lookups.

Targets (issue 14): refresh under 10 s, peak RSS under 250 MB, lookups from the index.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import zstandard

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "mappings" / "anibridge-mappings-edits-v3.min.json"
ID_SHIFT = 10_000_000
NUMERIC_ID = re.compile(r"\b(anilist|mal|anidb|tmdb_show|tvdb_show|tmdb_movie|tvdb_movie):(\d+)")

CHILD = """
import sys, time
from anitrakt.mappings.anibridge import ReleaseReader
from anitrakt.mappings.zstd import decompress_stream
mode, path = sys.argv[1], sys.argv[2]
start, cpu = time.perf_counter(), time.process_time()
kept = []
count = 0
if mode != "baseline":
    with open(path, "rb") as handle:
        source = decompress_stream(handle, label="bench") if mode == "zstd" else handle
        reader = ReleaseReader(source)
        for record in reader.records():
            count += 1
            if mode == "keep":
                kept.append(record)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
print(f"{elapsed:.2f} {cpu:.2f} {peak:.0f} {count}")
"""


REFRESH_CHILD = """
import sys, time
from pathlib import Path
from anitrakt.config import Settings
from anitrakt.domain.values import SourceName
from anitrakt.store import migrate
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.sources.refresh import refresh_source
from anitrakt.web.app import create_app  # what `serve` has imported too
url, database, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
settings = Settings(_env_file=None, database_url=database, anitrakt_data_dir=folder,
                    anibridge_url=url)
runtime = Runtime.open(settings)
migrate.upgrade(runtime.engine)
runtime.source_index.current()  # loaded, as in a running `serve`
def vm(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field)) / 1024
before = vm("VmRSS")
start, cpu = time.perf_counter(), time.process_time()
outcome = refresh_source(runtime, SourceName.ANIBRIDGE, force=True)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = vm("VmHWM")
start = time.perf_counter()
again = refresh_source(runtime, SourceName.ANIBRIDGE)
unchanged = time.perf_counter() - start
index = runtime.source_index.current()
ids = list(index.anibridge)[:10000]
start = time.perf_counter()
found = runtime.source_index.lookup_many(ids)
lookup_ms = (time.perf_counter() - start) * 1000
meta = outcome.meta
print(f"{elapsed:.2f} {cpu:.2f} {peak:.0f} {meta.count} {meta.ranges} {meta.ids} "
      f"{int(again.changed)} {unchanged:.3f} {len(found)} {lookup_ms:.1f} {before:.0f}")
runtime.close()
"""


def synthetic_members(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample's AniList members plus the reverse members a release also has."""
    members: dict[str, Any] = {}
    reverse: dict[str, dict[str, Any]] = {}
    for key, targets in sample.items():
        if not key.startswith("anilist:"):
            continue
        members[key] = targets
        for target, lines in targets.items():
            flipped = {v: k for k, v in lines.items() if "|" not in v and "," not in v}
            reverse.setdefault(target, {})[key] = flipped or lines
    members.update(reverse)
    return members


def shifted(shift: int, match: re.Match[str]) -> str:
    return f"{match[1]}:{int(match[2]) + shift}"


def build(
    sample_path: Path, size: int, out: Path, anilist_cap: int | None = None
) -> tuple[int, int]:
    """Write copies of the synthetic members, ids shifted per copy, up to `size` bytes.

    With `anilist_cap`, copies after that many AniList members carry only the others.
    """
    sample = json.loads(sample_path.read_text(encoding="utf-8"))
    members = synthetic_members(sample)
    body = json.dumps(members, separators=(",", ":"))[1:-1]
    others = {k: v for k, v in members.items() if not k.startswith("anilist:")}
    others_body = json.dumps(others, separators=(",", ":"))[1:-1]
    per_copy = len(members) - len(others)
    written = count = anilist = 0
    with out.open("w", encoding="utf-8") as handle:
        head = json.dumps({"$meta": sample.get("$meta", {})}, separators=(",", ":"))[:-1]
        handle.write(head)
        written += len(head)
        copy = 0
        while written < size:
            full = anilist_cap is None or anilist + per_copy <= anilist_cap
            text = "," + NUMERIC_ID.sub(
                partial(shifted, copy * ID_SHIFT), body if full else others_body
            )
            handle.write(text)
            written += len(text)
            count += len(members) if full else len(others)
            anilist += per_copy if full else 0
            copy += 1
        handle.write("}")
    return out.stat().st_size, count


def run(mode: str, path: Path) -> tuple[float, float, float, int]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed, cpu, peak, count = done.stdout.split()
    return float(elapsed), float(cpu), float(peak), int(count)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """`folder` over local HTTP, from a process of its own; yields the base URL."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def refresh_runs(folder: Path, database_url: str | None, generated: str) -> None:
    """The real refresh of both files over local HTTP, each in a fresh process."""
    (folder / "stats.json").write_text(json.dumps({"meta": {"generated_on": generated}}))
    header = (
        f"{'refresh (real path, HTTP)':<28} {'wall s':>7} {'CPU s':>6} {'RSS before':>10} "
        f"{'peak RSS MB':>12} "
        f"{'entries':>8} {'ranges':>8} {'ids':>8} {'again':>14} {'10k lookups':>12}"
    )
    print()
    print(header)
    with served(folder) as base:
        for name in ("mappings.min.json", "mappings.json.zst"):
            with tempfile.TemporaryDirectory() as data:
                database = database_url or f"sqlite:///{Path(data) / 'anitrakt.db'}"
                done = subprocess.run(
                    [sys.executable, "-c", REFRESH_CHILD, f"{base}/{name}", database, data],
                    check=True,
                    capture_output=True,
                    text=True,
                )
            values = done.stdout.split()
            elapsed, cpu, peak = float(values[0]), float(values[1]), float(values[2])
            count, ranges, ids = int(values[3]), int(values[4]), int(values[5])
            changed, unchanged, found, lookup_ms = values[6] == "1", values[7], values[8], values[9]
            before = float(values[10])
            again = f"{'CHANGED' if changed else 'unchanged'} {float(unchanged):.2f}s"
            print(
                f"{name:<28} {elapsed:>7.2f} {cpu:>6.2f} {before:>10.0f} {peak:>12.0f} "
                f"{count:>8,} {ranges:>8,} "
                f"{ids:>8,} {again:>14} {f'{lookup_ms} ms ({found})':>12}"
            )
    print("targets: refresh < 10 s, peak RSS < 250 MB, lookups from the index")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=40)
    parser.add_argument("--file", type=Path, default=SAMPLE)
    parser.add_argument(
        "--anilist", type=int, default=None, help="cap the AniList members (a realistic mix)"
    )
    parser.add_argument("--database-url", default=None, help="refresh into this database")
    parser.add_argument("--skip-parser", action="store_true", help="only the refresh runs")
    args = parser.parse_args()
    if not args.file.is_file():
        sys.exit(f"sample not found: {args.file} (../shared/data is absent)")
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "mappings.min.json"
        started = time.perf_counter()
        size, members = build(args.file, args.mb * 1024 * 1024, plain, args.anilist)
        packed = Path(folder) / "mappings.json.zst"
        with plain.open("rb") as source, packed.open("wb") as target:
            zstandard.ZstdCompressor(level=3).copy_stream(source, target)
        print(
            f"synthetic release: {size / 2**20:.1f} MB, {members:,} members "
            f"({packed.stat().st_size / 2**20:.1f} MB zstd), built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        if not args.skip_parser:
            print(f"{'run':<40} {'wall s':>7} {'CPU s':>6} {'peak RSS MB':>12} {'records':>9}")
            for mode, label, path in (
                ("baseline", "python + anitrakt imported", plain),
                ("count", "stream mappings.min.json, count", plain),
                ("keep", "stream mappings.min.json, keep all", plain),
                ("zstd", "stream mappings.json.zst, count", packed),
            ):
                elapsed, cpu, peak, count = run(mode, path)
                print(f"{label:<40} {elapsed:>7.2f} {cpu:>6.2f} {peak:>12.0f} {count:>9,}")
        meta = json.loads(args.file.read_text(encoding="utf-8")).get("$meta", {})
        refresh_runs(Path(folder), args.database_url, meta.get("generated_on", "2026-02-27"))


if __name__ == "__main__":
    main()
