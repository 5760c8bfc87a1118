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
from dataclasses import dataclass
from pathlib import Path

from anitrakt.domain.covers import EXTENSIONS, TYPES_BY_EXTENSION


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

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def _files(self) -> dict[int, tuple[str, Path]]:
        """Each cached entry's (URL tag, file); strays and half-written files are skipped."""
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
        return frozenset(self._files())

    def has(self, anilist_id: int, url: str) -> bool:
        """Whether the cover at `url` is the one kept for the entry."""
        kept = self._files().get(anilist_id)
        return kept is not None and kept[0] == url_tag(url)

    def get(self, anilist_id: int) -> CachedCover | None:
        kept = self._files().get(anilist_id)
        if kept is None:
            return None
        path = kept[1]
        return CachedCover(path, TYPES_BY_EXTENSION[path.name.rpartition(".")[2]])

    def put(self, anilist_id: int, url: str, body: bytes, media_type: str) -> None:
        """Keep `body` as the entry's cover (replacing an older one), then hold the cap."""
        self.directory.mkdir(parents=True, exist_ok=True)
        old = self._files().get(anilist_id)
        name = f"{anilist_id}-{url_tag(url)}.{EXTENSIONS[media_type]}"
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(body)
            os.replace(temporary, self.directory / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if old is not None and old[1].name != name:
            old[1].unlink(missing_ok=True)
        self.trim()

    def trim(self) -> int:
        """Delete the oldest covers until the rest fit the cap; the count deleted."""
        sized = []
        for _tag, path in self._files().values():
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
