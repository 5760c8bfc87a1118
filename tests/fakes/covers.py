"""AniList's image CDN, faked: small real PNG covers on a `FileServer`.

`publish_covers(files, anilist, base)` points the fake AniList's `coverImage` URLs at
`base` (a URL whose path starts with `/file/anilistcdn`, as the real CDN's do) and puts a
distinct PNG at each one, so a test can check the bytes the app serves are the CDN's.
"""

from __future__ import annotations

import struct
import zlib
from urllib.parse import urlsplit

from fakes.anilist import FakeAniList
from fakes.files import FileServer

CDN_PATH = "/file/anilistcdn"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def cover_png(seed: int, width: int = 23, height: int = 32) -> bytes:
    """A valid RGB PNG of one colour picked by `seed` (Chromium decodes and shows it)."""
    colour = bytes(((seed * 53) % 256, (seed * 97) % 256, (seed * 193) % 256))
    rows = b"".join(b"\x00" + colour * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def publish_covers(files: FileServer, anilist: FakeAniList, base: str) -> dict[int, bytes]:
    """Give every media of `anilist` a cover under `base`, served by `files`; by id."""
    anilist.serve_covers_from(base)
    published = {}
    for media_id in anilist.media:
        url = anilist.cover_url(media_id)
        assert url is not None
        published[media_id] = cover_png(media_id)
        files.put(urlsplit(url).path, published[media_id], content_type="image/png")
    return published
