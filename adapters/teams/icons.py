"""The Teams app icons, drawn in code so they are reproducible byte for byte.

Teams wants a full-colour icon (192x192) and an outline icon (32x32, white on transparent).
Both show two speech bubbles - a conversation between two people - and are written with a
minimal PNG encoder (zlib + struct), so no image library is needed. Regenerate the committed
files with ``python -m adapters.teams.icons manifest/teams``.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

ACCENT = (0x2B, 0x6C, 0x8F)  # the manifest's accentColor, #2B6C8F
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # supersampling per axis, for smooth edges

Shape = Callable[[float, float], float]  # signed distance in unit coordinates (<0 inside)


def png(*, width: int, height: int, rgba: bytes) -> bytes:
    """Encode 8-bit RGBA pixels as a PNG (filter 0 on every row, deterministic zlib)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    stride = width * 4
    raw = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or None if `data` is not one."""
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _rounded_box(cx: float, cy: float, hw: float, hh: float, r: float) -> Shape:
    def distance(x: float, y: float) -> float:
        qx, qy = abs(x - cx) - hw + r, abs(y - cy) - hh + r
        outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
        return outside + min(max(qx, qy), 0.0) - r

    return distance


def _triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    """Distance to the nearest edge line: exact enough for a speech bubble's tail."""
    orientation = 1.0 if (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) > 0 else -1.0

    def edge(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        cross = (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])
        return orientation * cross / math.dist(p, q)

    def distance(x: float, y: float) -> float:
        return -min(edge(a, b, x, y), edge(b, c, x, y), edge(c, a, x, y))

    return distance


def _union(*shapes: Shape) -> Shape:
    return lambda x, y: min(s(x, y) for s in shapes)


def _bubbles() -> tuple[Shape, Shape]:
    """Back bubble (upper left, tail down-left) and front bubble (lower right, tail down-right)."""
    back = _union(
        _rounded_box(0.40, 0.38, 0.26, 0.18, 0.10),
        _triangle((0.22, 0.50), (0.34, 0.54), (0.18, 0.66)),
    )
    front = _union(
        _rounded_box(0.60, 0.62, 0.26, 0.18, 0.10),
        _triangle((0.66, 0.78), (0.78, 0.74), (0.82, 0.90)),
    )
    return back, front


def _render(
    size: int, paint: Callable[[float, float], tuple[tuple[int, int, int], float]]
) -> bytes:
    """Rasterise `paint`, supersampling only pixels whose corners and centre disagree."""
    out = bytearray()
    n = SAMPLES * SAMPLES
    corners = [[paint(x / size, y / size) for x in range(size + 1)] for y in range(size + 1)]
    for py in range(size):
        for px in range(size):
            probes = {
                paint((px + 0.5) / size, (py + 0.5) / size),
                corners[py][px],
                corners[py][px + 1],
                corners[py + 1][px],
                corners[py + 1][px + 1],
            }
            if len(probes) == 1:
                ((cr, cg, cb), alpha) = probes.pop()
                out += bytes((cr, cg, cb, round(255 * alpha))) if alpha else b"\x00" * 4
                continue
            r = g = b = a = 0.0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    (cr, cg, cb), alpha = paint(x, y)
                    r, g, b, a = r + cr * alpha, g + cg * alpha, b + cb * alpha, a + alpha
            if a > 0:
                out += bytes((round(r / a), round(g / a), round(b / a), round(255 * a / n)))
            else:
                out += b"\x00\x00\x00\x00"
    return bytes(out)


def color_icon(size: int = 192) -> bytes:
    """White bubbles on a rounded accent-coloured tile; the front bubble cut out of the back."""
    tile = _rounded_box(0.5, 0.5, 0.5, 0.5, 0.18)
    back, front = _bubbles()
    gap = 0.035

    def paint(x: float, y: float) -> tuple[tuple[int, int, int], float]:
        if tile(x, y) > 0:
            return WHITE, 0.0
        if front(x, y) <= 0 or (back(x, y) <= 0 and front(x, y) > gap):
            return WHITE, 1.0
        return ACCENT, 1.0

    return png(width=size, height=size, rgba=_render(size, paint))


def outline_icon(size: int = 32) -> bytes:
    """The same bubbles as white outlines on transparency, as Teams requires."""
    back, front = _bubbles()
    stroke = 0.07

    def paint(x: float, y: float) -> tuple[tuple[int, int, int], float]:
        f, bk = front(x, y), back(x, y)
        on_front = -stroke <= f <= 0
        on_back = -stroke <= bk <= 0 and f > 0.02
        return WHITE, 1.0 if on_front or on_back else 0.0

    return png(width=size, height=size, rgba=_render(size, paint))


def write_icons(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "color.png").write_bytes(color_icon())
    (directory / "outline.png").write_bytes(outline_icon())


if __name__ == "__main__":
    write_icons(Path(sys.argv[1] if len(sys.argv) > 1 else "manifest/teams"))
