"""Cover thumbnails: which bytes are an image we may serve, and under which type.

AniList's `coverImage.medium` is a small JPEG or PNG on its CDN (docs/covers.md). The
app serves covers from its own origin, so a body is kept only when its first bytes are
one of the few image formats a browser shows in an `<img>`, and it is served with the
type those bytes say, never the type the CDN claimed: an HTML page or a script saved as
a "cover" could otherwise run on our origin.
"""

from __future__ import annotations

from dataclasses import dataclass

# A medium cover is about 10–40 kB; anything past this is not a thumbnail.
MAX_COVER_BYTES = 1024 * 1024

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
TYPES_BY_EXTENSION = {extension: kind for kind, extension in EXTENSIONS.items()}


@dataclass(frozen=True, slots=True)
class Cover:
    """A cover's bytes and the type its own first bytes declare."""

    body: bytes
    media_type: str


def image_type(body: bytes) -> str | None:
    """The media type `body`'s own first bytes declare, or None when it is no image we serve."""
    for signature, kind in _SIGNATURES:
        if body.startswith(signature):
            return kind
    if len(body) >= 12 and body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return None
