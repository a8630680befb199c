"""PNG bytes of an RGBA canvas, encoded for speed: what the notebook view receives on every change.

Pillow tries every PNG filter on every row and picks the best (adaptive filtering), which takes
20 to 40 ms for an explorer's canvas. One fixed filter ("up": each row minus the row above, one
numpy subtraction) and zlib's fastest level take a third to a half of that, for files about as
small (rows of a figure repeat, so "up" leaves mostly zeros). An opaque canvas (every explorer's:
its face is white) is written as RGB, a quarter fewer bytes to filter and compress (about 20%
faster, and smaller). The pixels are the same, losslessly. Pillow drops the alpha channel: numpy
copies 3 bytes of every 4 in a strided loop, 2.7 ms for a 672 x 475 canvas against Pillow's 0.7 ms.
"""
import struct
import zlib

import numpy as np
from PIL import Image  # Pillow is a dependency of matplotlib

__all__ = ["encode_png"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2  # PNG filter type 2: each byte minus the byte above it


def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(rgba, level=1):
    """PNG bytes of `rgba`: (H, W, 4) uint8, e.g. `np.asarray(canvas.buffer_rgba())`."""
    rgba = np.asarray(rgba, dtype=np.uint8)
    h, w, channels = rgba.shape
    if channels != 4:
        raise ValueError(f"encode_png needs (H, W, 4) RGBA pixels, got shape {rgba.shape}")
    opaque = bool((rgba[..., 3] == 255).all())
    pixels = np.asarray(Image.fromarray(rgba, "RGBA").convert("RGB")) if opaque else rgba
    flat = pixels.reshape(h, -1)
    rows = np.empty((h, 1 + flat.shape[1]), np.uint8)
    rows[:, 0] = _UP
    rows[0, 1:] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=rows[1:, 1:])  # uint8 arithmetic wraps modulo 256, as PNG's filter does
    # 8 bits per channel, colour type 2 (RGB) or 6 (RGBA), no interlace
    header = struct.pack(">IIBBBBB", w, h, 8, 2 if opaque else 6, 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level))
            + _chunk(b"IEND", b""))
