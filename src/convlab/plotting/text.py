"""Text that is cheap to redraw: titles placed without layout, and labels drawn as cached outlines.

Agg renders a Text artist through font lookup, layout and glyph rasterization on every draw,
about half a millisecond per label; an outline cached per string and drawn in a PathCollection
costs a few microseconds, and a new string's outline is assembled from glyphs read once per
process (`.glyphs`), so a first visit costs little more. Outlines are what the explorers use for the numbers of a grid and for
titles (`fast=True`). They report their true extent (`get_window_extent`), so the figure checks
(`convlab.plotting.figure_report`) see them, and titles take part in constrained layout.
"""
import functools
import weakref

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, Bbox, IdentityTransform

from .glyphs import line_outline

__all__ = ["plot_title", "PathLabels"]

MIN_FONT_PT = 8  # the smallest label a reader should have to read, at display size
_FONT = FontProperties(size=10)
_MONO = FontProperties(family="monospace", size=10)
_LINE = 12.5  # line spacing, in points at 10 pt
_TITLES = weakref.WeakKeyDictionary()  # Axes -> its title (a Text or a PathLabels), reused on every update


@functools.lru_cache(maxsize=4096)
def _glyph_path(label):
    """The outline of a one-line `label` at 10 points, its bounding box centred on (0, 0)."""
    path = line_outline(label, _FONT)
    box = _bounds(path)
    return path.transformed(Affine2D().translate(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2))


def _bounds(path):
    """The box of a path's vertices: its control points bound its curves, so this box holds the
    outline (at most a fraction of a point larger). Path.get_extents finds the curves' exact
    extrema, which takes milliseconds per line of text."""
    if not len(path.vertices):
        return Bbox.null()
    return Bbox([path.vertices.min(axis=0), path.vertices.max(axis=0)])


@functools.lru_cache(maxsize=4096)
def _extents(path):
    """The box of a cached glyph path, computed once."""
    return _bounds(path)


@functools.lru_cache(maxsize=4096)
def _left_path(label):
    """The outline of a one-line `label` at 10 points, its left edge at x = 0 and centred on y = 0."""
    path = _glyph_path(label)
    return path.transformed(Affine2D().translate(-_extents(path).x0, 0)) if len(path.vertices) else path


@functools.lru_cache(maxsize=4096)
def _line_path(line, family):
    """One line of text as an outline at 10 points (None for a line without glyphs); lines repeat
    between the blocks of a panel, so each is built once."""
    if not line.strip():  # TextPath fails on text without glyphs
        return None
    path = line_outline(line, _MONO if family == "mono" else _FONT)
    return path if len(path.vertices) else None


@functools.lru_cache(maxsize=4096)
def _block_path(label, align="center", family="sans"):
    """The outline of a possibly multi-line `label` at 10 points.

    align="center": lines centred on x = 0, the block's bottom at y = 0 (a title);
    align="left": lines starting at x = 0, the block centred on y = 0 (a panel of text).
    """
    lines = label.split("\n")
    parts = []
    for index, line in enumerate(lines):
        path = _line_path(line, family)
        if path is None:
            continue
        shift = -_bounds(path).x1 / 2 if align == "center" else 0.0
        parts.append(path.transformed(Affine2D().translate(shift, (len(lines) - 1 - index) * _LINE)))
    if not parts:
        return Path(np.zeros((1, 2)), [Path.MOVETO])
    block = Path.make_compound_path(*parts)
    box = _bounds(block)
    lift = -box.y0 if align == "center" else -(box.y0 + box.y1) / 2
    return block.transformed(Affine2D().translate(0, lift))


class LabelCollection(PathCollection):
    """The PathCollection of a PathLabels: glyph outlines at offsets, scaled at draw time by `sizes`.

    `get_window_extent` measures the outlines as drawn (a plain PathCollection ignores `sizes`
    there), and an optional `fontsize_at_draw` callable re-sizes the labels just before each draw,
    once a layout engine has placed the axes (e.g. numbers that must fit their grid cells); labels
    it would make smaller than MIN_FONT_PT are not drawn at all.
    """

    fontsize_at_draw = None
    strings = ()
    outline = None  # str -> Path, as PathLabels.set made the paths
    # None, or str -> str: what a layout measures instead of each string (drawn with `outline`), so
    # that labels which change with every value do not move the axes (see convlab.explore's layout)
    layout_stand_in = None
    too_small = False  # the last draw-time size was under MIN_FONT_PT, so nothing was drawn
    placeholder = False  # True: draws nothing, only holds room in a layout (e.g. for tick labels to come)

    def draw(self, renderer):
        if self.placeholder:
            return
        if self.fontsize_at_draw is not None and len(self.get_paths()):
            size = self.fontsize_at_draw()
            self.too_small = size < MIN_FONT_PT
            if self.too_small:  # labels nobody can read are left out
                return
            self.set_sizes([(size / 10) ** 2])
        super().draw(renderer)

    def fontsizes(self):
        """The font size in points of every label drawn (after the last draw)."""
        if self.too_small:
            return np.zeros(0)
        sizes = np.broadcast_to(self.get_sizes(), (len(self.get_paths()),))
        return 10 * np.sqrt(sizes)

    def get_window_extent(self, renderer=None):
        paths = self.get_paths()
        if not paths or self.too_small:
            return Bbox.null()
        dpi = self.figure.dpi if self.figure is not None else 72
        offsets = self.get_offset_transform().transform(np.asarray(self.get_offsets()).reshape(-1, 2))
        offsets = np.broadcast_to(offsets, (len(paths), 2))
        boxes = []
        for path, size, (x, y) in zip(paths, self.fontsizes(), offsets):
            if len(path.vertices) > 1:
                box = _extents(path).transformed(Affine2D().scale(size / 10 * dpi / 72))
                boxes.append(box.translated(x, y))
        return Bbox.union(boxes) if boxes else Bbox.null()


class PathLabels:
    """Short labels drawn as one LabelCollection of cached glyph outlines (see the module docstring).

    coords: 'data' (positions in data coordinates) or 'axes' (fractions of the axes).
    in_layout: let constrained layout make room for the labels (titles); cell labels stay out.
    """

    def __init__(self, ax, *, zorder=3, clip_on=True, coords="data", in_layout=False):
        self.ax = ax
        offsets = ax.transData if coords == "data" else ax.transAxes
        self.collection = LabelCollection([], offsets=np.zeros((0, 2)), offset_transform=offsets,
                                          transform=IdentityTransform(), facecolors="black", edgecolors="none",
                                          zorder=zorder, clip_on=clip_on)
        self.collection.set_in_layout(in_layout)
        ax.add_collection(self.collection, autolim=False)
        self.strings = []

    def set(self, positions, strings, colors="black", fontsize=10, block=False, left=False, family="sans"):
        """Show `strings` at `positions` ((x, y) pairs), in `colors`, at `fontsize` points.

        block=False centres each one-line label on its position (left=True: starts it there);
        block=True puts a (multi-line) label's bottom centre there, as a title; with left=True its
        lines start there instead, the block centred vertically (a panel of text, in `family`
        'sans' or 'mono'). fontsize may be a function of no arguments, evaluated at every draw.
        """
        self.strings = self.collection.strings = list(strings)
        if block:
            outline = functools.partial(_block_path, align="left" if left else "center", family=family)
        else:
            outline = _left_path if left else _glyph_path
        self.collection.outline = outline  # how a string becomes a path here (a layout may measure stand-ins)
        self.collection.set_paths([outline(s) for s in self.strings])
        self.collection.set_offsets(np.asarray(positions, dtype=float).reshape(-1, 2))
        self.collection.set_facecolors(colors)
        self.collection.fontsize_at_draw = fontsize if callable(fontsize) else None
        size = fontsize() if callable(fontsize) else fontsize
        # PathCollection scales each path by sqrt(size) * dpi / 72 at draw time (so savefig's dpi is honoured)
        self.collection.set_sizes([(size / 10) ** 2])
        return self


def plot_title(ax, text, *, fontsize=9.5, color="black", fast=False):
    """Write `text` centred above `ax`; returns its artist (the same one on every later call).

    A plain Text in axes coordinates by default (`ax.set_title` re-measures every tick label on
    each draw to place itself). fast=True draws cached outlines instead: for figures that are
    redrawn on every slider move. Constrained layout makes room for either kind.
    """
    title = _TITLES.get(ax)
    if title is None:
        if fast:
            title = PathLabels(ax, clip_on=False, coords="axes", in_layout=True)
        else:
            title = ax.text(0.5, 1.02, "", transform=ax.transAxes, ha="center", va="bottom", clip_on=False)
        _TITLES[ax] = title
    if isinstance(title, PathLabels):
        title.set([(0.5, 1.02)], [text], color, fontsize, block=True)
    else:
        title.set_text(text)
        title.set_fontsize(fontsize)
        title.set_color(color)
    return title
