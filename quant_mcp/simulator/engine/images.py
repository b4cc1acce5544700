"""Tiny but real PNG images, for image generation and the generate_image tool.

The picture is a two-colour diagonal gradient whose colours come from a hash of
the prompt and seed, so the same request always gives the same bytes. Images are
thumbnails: the longer side is at most `MAX_SIDE` pixels, keeping the requested
aspect ratio (building full-size pictures in pure Python would only slow tests).
"""

from __future__ import annotations

import hashlib
import struct
import zlib

MAX_SIDE = 64


def thumbnail_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def png_image(key: str, width: int = MAX_SIDE, height: int = MAX_SIDE) -> bytes:
    """A deterministic RGB PNG for `key` (e.g. prompt + seed), at thumbnail size."""
    width, height = thumbnail_size(width, height)
    digest = hashlib.sha256(key.encode()).digest()
    start, end = digest[0:3], digest[3:6]
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "None" for this scanline
        for x in range(width):
            t = (x + y) / max(1, width + height - 2)
            rows.extend(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows))) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
