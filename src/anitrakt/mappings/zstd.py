"""Streaming zstd decompression for mapping downloads (`mappings.json.zst`).

Compressed bytes go in as bytes, a binary file or an iterable of chunks; decompressed
chunks of about `chunk_size` come out, so a 40 MB release never has to sit in memory
twice. The input is fed to the decompressor in small slices: zstd can expand a few
bytes into megabytes, and slicing keeps each step's output small and lets the total
stop at `max_output` (a wrong URL or a zstd bomb costs the cap, not the machine).
Concatenated frames are read one after another, as the zstd format allows. Input that
is not zstd, ends inside a frame, or expands past the cap raises `MappingSourceError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

import zstandard

from anitrakt.errors import MappingSourceError

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Twice the largest mapping file we expect; past it the download is not a mapping file.
MAX_OUTPUT = 400 * 1024 * 1024
OUTPUT_CHUNK = 1024 * 1024
# Compressed bytes per decompressor call: small enough that one call's output stays
# within a few tens of megabytes even for the most compressible input.
_FEED = 1024
_READ = 256 * 1024


def looks_like_zstd(head: bytes) -> bool:
    """Whether a download starts with the zstd frame magic number."""
    return head.startswith(ZSTD_MAGIC)


def _compressed(source: bytes | IO[bytes] | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray):
        yield bytes(source)
        return
    read = getattr(source, "read", None)
    if read is not None:
        while chunk := read(_READ):
            yield chunk
        return
    yield from source


def decompress_stream(
    source: bytes | IO[bytes] | Iterable[bytes],
    *,
    label: str,
    max_output: int = MAX_OUTPUT,
    chunk_size: int = OUTPUT_CHUNK,
) -> Iterator[bytes]:
    """Decompressed chunks of a zstd stream; `label` names the source in errors."""
    context = zstandard.ZstdDecompressor()
    frame = context.decompressobj()
    pending: list[bytes] = []
    pending_size = total = 0
    started = in_frame = False
    for chunk in _compressed(source):
        view = memoryview(chunk)
        offset = 0
        while offset < len(view):
            piece = view[offset : offset + _FEED]
            offset += len(piece)
            if not started and not looks_like_zstd(bytes(piece[:4])):
                raise MappingSourceError(label, "the download is not zstd data")
            started = in_frame = True
            try:
                output = frame.decompress(piece)
            except zstandard.ZstdError as exc:
                raise MappingSourceError(label, f"the zstd data is corrupt ({exc})") from None
            total += len(output)
            if total > max_output:
                raise MappingSourceError(
                    label, f"the zstd data expands past {max_output} bytes"
                ) from None
            if output:
                pending.append(output)
                pending_size += len(output)
            if frame.eof:
                in_frame = False
                rest = frame.unused_data
                frame = context.decompressobj()
                if rest:
                    # The next frame began inside this slice: feed it from here.
                    offset -= len(rest)
            if pending_size >= chunk_size:
                yield b"".join(pending)
                pending, pending_size = [], 0
    if not started:
        raise MappingSourceError(label, "the download is empty")
    if in_frame:
        raise MappingSourceError(label, "the zstd data is truncated (it ends inside a frame)")
    if pending:
        yield b"".join(pending)
