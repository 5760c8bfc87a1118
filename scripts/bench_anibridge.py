"""Benchmark: stream-parse a 40 MB anibridge-mappings release (not a test).

    .venv/bin/python scripts/bench_anibridge.py [--mb 40] [--file SAMPLE]

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
thousands, beside more of the cheap other members. Target (issue 14): the whole
refresh under 10 s and `serve` under 250 MB while refreshing; this measures the
parser's share.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
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


def build(sample_path: Path, size: int, out: Path) -> tuple[int, int]:
    """Write copies of the synthetic members, ids shifted per copy, up to `size` bytes."""
    sample = json.loads(sample_path.read_text(encoding="utf-8"))
    members = synthetic_members(sample)
    body = json.dumps(members, separators=(",", ":"))[1:-1]
    written = count = 0
    with out.open("w", encoding="utf-8") as handle:
        head = json.dumps({"$meta": sample.get("$meta", {})}, separators=(",", ":"))[:-1]
        handle.write(head)
        written += len(head)
        copy = 0
        while written < size:
            text = "," + NUMERIC_ID.sub(partial(shifted, copy * ID_SHIFT), body)
            handle.write(text)
            written += len(text)
            count += len(members)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=40)
    parser.add_argument("--file", type=Path, default=SAMPLE)
    args = parser.parse_args()
    if not args.file.is_file():
        sys.exit(f"sample not found: {args.file} (../shared/data is absent)")
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "mappings.min.json"
        started = time.perf_counter()
        size, members = build(args.file, args.mb * 1024 * 1024, plain)
        packed = Path(folder) / "mappings.json.zst"
        with plain.open("rb") as source, packed.open("wb") as target:
            zstandard.ZstdCompressor(level=3).copy_stream(source, target)
        print(
            f"synthetic release: {size / 2**20:.1f} MB, {members:,} members "
            f"({packed.stat().st_size / 2**20:.1f} MB zstd), built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        print(f"{'run':<40} {'wall s':>7} {'CPU s':>6} {'peak RSS MB':>12} {'records':>9}")
        for mode, label, path in (
            ("baseline", "python + anitrakt imported", plain),
            ("count", "stream mappings.min.json, count", plain),
            ("keep", "stream mappings.min.json, keep all", plain),
            ("zstd", "stream mappings.json.zst, count", packed),
        ):
            elapsed, cpu, peak, count = run(mode, path)
            print(f"{label:<40} {elapsed:>7.2f} {cpu:>6.2f} {peak:>12.0f} {count:>9,}")


if __name__ == "__main__":
    main()
