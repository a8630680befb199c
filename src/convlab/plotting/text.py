"""Text that is cheap to redraw: titles placed without layout, and labels drawn as cached outlines.

Agg renders a Text artist through font lookup, layout and glyph rasterization on every draw,
about half a millisecond per label; an outline cached per string and drawn in a PathCollection
costs a few microseconds. Outlines are what the explorers use for the numbers of a grid and for
titles (`fast=True`); they are invisible to layout engines, so static figures laid out with
`layout="constrained"` keep the default Text titles.
"""
import functools
import weakref

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D, IdentityTransform

__all__ = ["plot_title", "PathLabels"]

_FONT = FontProperties(size=10)
_LINE = 12.5  # line spacing, in points at 10 pt
_TITLES = weakref.WeakKeyDictionary()  # Axes -> its title (a Text or a PathLabels), reused on every update


@functools.lru_cache(maxsize=4096)
def _glyph_path(label):
    """The outline of a one-line `label` at 10 points, its bounding box centred on (0, 0)."""
    path = TextPath((0, 0), label, prop=_FONT)
    box = path.get_extents()
    return path.transformed(Affine2D().translate(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2))


@functools.lru_cache(maxsize=4096)
def _block_path(label):
    """The outline of a possibly multi-line `label` at 10 points, lines centred, its bottom at y = 0."""
    lines = label.split("\n")
    parts = []
    for index, line in enumerate(lines):
        path = TextPath((0, 0), line, prop=_FONT)
        if not len(path.vertices):
            continue
        width = path.get_extents().x1
        parts.append(path.transformed(Affine2D().translate(-width / 2, (len(lines) - 1 - index) * _LINE)))
    if not parts:
        return Path(np.zeros((1, 2)), [Path.MOVETO])
    block = Path.make_compound_path(*parts)
    return block.transformed(Affine2D().translate(0, -block.get_extents().y0))


class PathLabels:
    """Short labels drawn as one PathCollection of cached glyph outlines (see the module docstring).

    coords: 'data' (positions in data coordinates) or 'axes' (fractions of the axes).
    """

    def __init__(self, ax, *, zorder=3, clip_on=True, coords="data"):
        self.ax = ax
        offsets = ax.transData if coords == "data" else ax.transAxes
        self.collection = PathCollection([], offsets=np.zeros((0, 2)), offset_transform=offsets,
                                         transform=IdentityTransform(), facecolors="black", edgecolors="none",
                                         zorder=zorder, clip_on=clip_on)
        self.collection.set_in_layout(False)
        ax.add_collection(self.collection, autolim=False)
        self.strings = []

    def set(self, positions, strings, colors="black", fontsize=10, block=False):
        """Show `strings` at `positions` ((x, y) pairs), in `colors`, at `fontsize` points.

        block=False centres each one-line label on its position; block=True puts a (multi-line)
        label's bottom centre there, as a title.
        """
        self.strings = list(strings)
        make = _block_path if block else _glyph_path
        self.collection.set_paths([make(s) for s in self.strings])
        self.collection.set_offsets(np.asarray(positions, dtype=float).reshape(-1, 2))
        self.collection.set_facecolors(colors)
        # PathCollection scales each path by sqrt(size) * dpi / 72 at draw time (so savefig's dpi is honoured)
        self.collection.set_sizes([(fontsize / 10) ** 2])
        return self


def plot_title(ax, text, *, fontsize=9.5, color="black", fast=False):
    """Write `text` centred above `ax`; returns its artist (the same one on every later call).

    A plain Text in axes coordinates by default (`ax.set_title` re-measures every tick label on
    each draw to place itself). fast=True draws cached outlines instead: for figures that are
    redrawn on every slider move; layout engines do not see them.
    """
    title = _TITLES.get(ax)
    if title is None:
        if fast:
            title = PathLabels(ax, clip_on=False, coords="axes")
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
