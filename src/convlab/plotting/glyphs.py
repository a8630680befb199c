"""Text outlines assembled from per-character glyphs cached once per process.

`TextPath` shapes each new string with libraqm (matplotlib 3.11), about 0.3 ms per character:
an explorer's first visit of each title, tick or number paid that, 20 to 70 ms per change on a
loaded machine. Here each character's outline and advance is read from the font once; a line is
those outlines placed side by side with the font's kerning, which is how `TextPath` places them
for Latin text (measured: the same vertices within 0.004 pt). A line with a character the primary
font lacks (or a matplotlib without this font API) is left to `TextPath`, with its font fallback.
"""
import functools

import numpy as np
from matplotlib import ft2font
from matplotlib.path import Path
from matplotlib.textpath import TextPath, text_to_path

__all__ = ["line_outline"]

_KERNING = getattr(getattr(ft2font, "Kerning", None), "UNFITTED", None)  # as TextPath: not grid-fitted
_NO_HINTING = getattr(getattr(ft2font, "LoadFlags", None), "NO_HINTING", None)
_SCALE = 10 / text_to_path.FONT_SCALE  # glyphs are read at FONT_SCALE points; outlines are at 10 points


def _font(prop):
    return text_to_path._get_font(prop)  # the FT2Font TextPath uses, its size set to FONT_SCALE


@functools.lru_cache(maxsize=None)
def _glyph(prop, char):
    """(glyph index, vertices, codes, advance) of `char` at FONT_SCALE points; None if the font lacks it."""
    font = _font(prop)
    index = font.get_char_index(ord(char))
    if index == 0:
        return None
    glyph = font.load_glyph(index, flags=_NO_HINTING)
    vertices, codes = font.get_path()
    return index, np.asarray(vertices, dtype=float), np.asarray(codes), glyph.linearHoriAdvance / 65536


@functools.lru_cache(maxsize=None)
def _kerning(prop, left, right):
    return _font(prop).get_kerning(left, right, _KERNING) / 64


def line_outline(line, prop):
    """The outline of one line of text in font `prop` at 10 points, starting at x = 0 on the baseline."""
    glyphs = [_glyph(prop, c) for c in line] if _KERNING is not None and _NO_HINTING is not None else [None]
    if any(g is None for g in glyphs):
        return TextPath((0, 0), line, size=10, prop=prop)
    vertices, codes, x, previous = [], [], 0.0, None
    for index, verts, kinds, advance in glyphs:
        if previous is not None:
            x += _kerning(prop, previous, index)
        if len(verts):
            vertices.append(verts + [x, 0.0])
            codes.append(kinds)
        x += advance
        previous = index
    if not vertices:
        return Path(np.empty((0, 2)))
    return Path(np.concatenate(vertices) * _SCALE, np.concatenate(codes))


_ZEROS = str.maketrans("123456789", "000000000")


@functools.lru_cache(maxsize=None)
def _math_template(signature, prop):
    """mathtext's layout of `signature` at FONT_SCALE points: (width, height, depth, glyphs)."""
    font_prop = prop.copy()
    font_prop.set_size(text_to_path.FONT_SCALE)
    width, height, depth, glyphs, _rects = text_to_path.mathtext_parser.parse(signature, text_to_path.DPI, font_prop)
    return width, height, depth, tuple(glyphs)


@functools.lru_cache(maxsize=None)
def _math_glyph(font, glyph_index):
    font.clear()
    font.set_size(text_to_path.FONT_SCALE, text_to_path.DPI)
    font.load_glyph(glyph_index, flags=_NO_HINTING)
    vertices, codes = font.get_path()
    return np.asarray(vertices, dtype=float), np.asarray(codes)


def math_outline(text, prop):
    """The outline of a mathtext label such as `$\\mathdefault{10^{-3}}$` at 10 points, and its box
    (width, height, depth: the numbers matplotlib's Text lays the label out with), as `TextPath`
    would make it.

    mathtext parses each new string (5 to 15 ms with pyparsing): a log axis meeting new powers of
    ten paid that per label. Digits share one advance and one height in the font, so a label
    lays out as its signature (every digit written 0) does, with its own digits in their places;
    the signature is parsed once (a few per axis), the digits are glyphs read once per process.
    A label with no digits to substitute (or mathtext without glyph indices) is left to TextPath.
    """
    width, height, depth, glyphs = _math_template(text.translate(_ZEROS), prop)
    digits = [c for c in text if c.isdigit()]
    slots = [g for g in glyphs if len(g) == 6 and g[2] == ord("0")]
    if _NO_HINTING is None or len(slots) != len(digits) or any(len(g) != 6 for g in glyphs):
        path = TextPath((0, 0), text, size=10, prop=prop)
        return path, (width * _SCALE, height * _SCALE, depth * _SCALE)
    vertices, codes, digit = [], [], iter(digits)
    for font, fontsize, char, index, x, y in glyphs:
        if char == ord("0"):
            index = font.get_char_index(ord(next(digit)))
        verts, kinds = _math_glyph(font, index)
        if len(verts):
            vertices.append(verts * (fontsize / text_to_path.FONT_SCALE) + [x, y])
            codes.append(kinds)
    path = Path(np.concatenate(vertices) * _SCALE, np.concatenate(codes)) if vertices else Path(np.empty((0, 2)))
    return path, (width * _SCALE, height * _SCALE, depth * _SCALE)

