"""The cover cache: one file per AniList entry in ANITRAKT_DATA_DIR/covers, size-capped.

A file is named `{anilist id}-{hash of its URL}.{ext}`: a new URL (AniList replaced the
cover) is a new file, and the extension says the type its bytes were checked to be. A
file appears whole (written beside, then renamed) or not at all. Past the cap, the
covers fetched longest ago go first (docs/covers.md).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from anitrakt.domain.covers import EXTENSIONS, TYPES_BY_EXTENSION

# How long the directory must have been unchanged before a listing of it is reused.
SETTLED_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class CachedCover:
    path: Path
    media_type: str


def url_tag(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:12]


class CoverCache:
    """Covers on disk; safe to share between threads (every change is one rename)."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        # The last listing, with the directory's (inode, mtime) it was read at: a page of
        # covers asks for each one, and a directory of thousands is not re-read for each.
        self._listing: tuple[tuple[int, int], dict[int, tuple[str, Path]]] | None = None

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def kept(self) -> dict[int, tuple[str, Path]]:
        """Each cached entry's (URL tag, file); strays and half-written files are skipped.
        Treat it as read-only: it is shared until the directory changes.

        Any file added, renamed or removed moves the directory's mtime, so an unchanged
        (inode, mtime) means an unchanged listing, whichever process wrote last. A
        listing is remembered only once the directory has been still for
        `SETTLED_NS`: a change within the same clock tick as the read would not move
        the mtime again (git's "racy" rule).
        """
        try:
            stat = self.directory.stat()
        except FileNotFoundError:
            return {}
        stamp = (stat.st_ino, stat.st_mtime_ns)
        listing = self._listing
        if listing is not None and listing[0] == stamp:
            return listing[1]
        found = self._list()
        settled = time.time_ns() - stat.st_mtime_ns > SETTLED_NS
        self._listing = (stamp, found) if settled else None
        return found

    def _list(self) -> dict[int, tuple[str, Path]]:
        found: dict[int, tuple[str, Path]] = {}
        try:
            paths = list(self.directory.iterdir())
        except FileNotFoundError:
            return found
        for path in paths:
            stem, _, extension = path.name.partition(".")
            number, _, tag = stem.partition("-")
            if number.isascii() and number.isdigit() and tag and extension in TYPES_BY_EXTENSION:
                found[int(number)] = (tag, path)
        return found

    def cached_ids(self) -> frozenset[int]:
        return frozenset(self.kept())

    def has(
        self, anilist_id: int, url: str, kept: dict[int, tuple[str, Path]] | None = None
    ) -> bool:
        """Whether the cover at `url` is the one kept for the entry (`kept`: a `kept()`
        read already made, so checking many entries reads the directory once)."""
        found = (self.kept() if kept is None else kept).get(anilist_id)
        return found is not None and found[0] == url_tag(url)

    def get(self, anilist_id: int) -> CachedCover | None:
        kept = self.kept().get(anilist_id)
        if kept is None:
            return None
        path = kept[1]
        return CachedCover(path, TYPES_BY_EXTENSION[path.name.rpartition(".")[2]])

    def put(
        self,
        anilist_id: int,
        url: str,
        body: bytes,
        media_type: str,
        *,
        replaces: Path | Literal["look"] | None = "look",
        trim: bool = True,
    ) -> None:
        """Keep `body` as the entry's cover, replacing `replaces` (None: nothing; "look":
        whatever is kept for it), then hold the cap unless `trim=False` (a batch trims
        once after)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        old = self.kept().get(anilist_id, ("", None))[1] if replaces == "look" else replaces
        name = f"{anilist_id}-{url_tag(url)}.{EXTENSIONS[media_type]}"
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(body)
            os.replace(temporary, self.directory / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if old is not None and old.name != name:
            old.unlink(missing_ok=True)
        if trim:
            self.trim()

    def trim(self) -> int:
        """Delete the oldest covers until the rest fit the cap; the count deleted."""
        sized = []
        for _tag, path in self.kept().values():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            sized.append((stat.st_mtime_ns, path.name, stat.st_size, path))
        total = sum(size for _, _, size, _ in sized)
        deleted = 0
        for _, _, size, path in sorted(sized):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            deleted += 1
        return deleted
