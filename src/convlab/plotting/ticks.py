"""An axis's ticks, grid lines and tick labels drawn as three artists, for charts redrawn on every change.

matplotlib draws each tick as its own artists (two marks, a grid line, a label) and re-measures
every label on each draw: a log axis with its minor ticks is about 120 artists, 30 to 60 ms per
draw, and each new power of ten is parsed by mathtext first (5 to 15 ms a label). `DrawnAxis`
asks the same locators and formatters for the same ticks and labels, and draws the marks as one
Line2D of tick markers, the grid as one LineCollection and the labels as cached outlines
(`.glyphs`, mathtext labels included), placed where matplotlib's Text would put them; matplotlib's
own axis keeps only its spine and its label, which is moved beside the labels as matplotlib moves it.
"""
import functools

import numpy as np
from matplotlib import rcParams
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.font_manager import FontProperties
from matplotlib.lines import TICKDOWN, TICKLEFT
from matplotlib.textpath import text_to_path
from matplotlib.ticker import NullLocator
from matplotlib.transforms import Affine2D, IdentityTransform, ScaledTranslation

from .glyphs import line_outline, math_outline
from .text import LabelCollection

__all__ = ["DrawnAxis"]

_FONT = FontProperties(size=10)  # outlines are made at 10 points and scaled to the label size


@functools.lru_cache(maxsize=None)
def _plain_box(text):
    """(width, height, depth) at 10 points of plain `text`, as matplotlib measures it (unhinted)."""
    width, height, depth = text_to_path.get_text_width_height_descent(text, _FONT, ismath=False)
    return width, height, depth


@functools.lru_cache(maxsize=4096)
def _label(text, anchor):
    """The outline at 10 points of tick label `text`, placed as matplotlib's Text aligns a tick label
    on its anchor at (0, 0): anchor 'right' (a y label: right edge, va='center_baseline') or 'top'
    (an x label: centred, va='top'); and the width and height of its layout box."""
    if text.startswith("$") and text.endswith("$") and len(text) > 1:
        path, (width, height, depth) = math_outline(text, _FONT)
    else:
        path, (width, height, depth) = line_outline(text, _FONT), _plain_box(text)
    _, lp_height, lp_depth = _plain_box("lp")  # Text makes every line at least as tall as "lp"
    height, depth = max(height, lp_height), max(depth, lp_depth)
    if anchor == "right":
        shift = (-width, -(height - depth) / 2)
    else:
        shift = (-width / 2, -(height - depth))
    return path.transformed(Affine2D().translate(*shift)) if len(path.vertices) else path, width, height


class _BeforeDraw(Artist):
    """Draws nothing; calls `callback` when its axes draws, before the other artists (lowest zorder):
    ticks follow the axes' size at draw time, after a layout has placed it, as matplotlib's do."""

    def __init__(self, callback):
        super().__init__()
        self.callback = callback
        self.set_zorder(-np.inf)
        self.set_in_layout(False)

    def draw(self, renderer):
        self.callback()
        self.stale = False


class DrawnAxis:
    """The ticks of `ax`'s x or y axis (`which`), drawn cheaply (see the module docstring).

    major, minor: the locators (e.g. `LogLocator()`, `MaxNLocator(integer=True)`); major_format,
    minor_format: their formatters (minor labels are drawn where the formatter gives one); grid:
    draw major grid lines with these Line2D properties (e.g. {"alpha": 0.3}), or None. Call
    `update()` after a change of the axes' limits (a layout then makes room for the labels); each
    draw updates them again for the axes' size at that moment.
    """

    def __init__(self, ax, which, *, major, major_format, minor=None, minor_format=None, labelsize=8, grid=None):
        self.ax, self.which, self.labelsize = ax, which, labelsize
        self.axis = ax.yaxis if which == "y" else ax.xaxis
        self.locators = [(major, major_format, "major"), *([(minor, minor_format, "minor")] if minor else [])]
        for locator, formatter, _ in self.locators:
            locator.set_axis(self.axis)  # e.g. LogLocator's number of ticks follows the axis length
            if formatter is not None:
                formatter.set_axis(self.axis)
        # matplotlib's axis keeps its spine and label, no ticks
        self.axis.set_major_locator(NullLocator())
        self.axis.set_minor_locator(NullLocator())
        prefix = f"{which}tick"
        self.pad = {kind: rcParams[f"{prefix}.{kind}.size"] + rcParams[f"{prefix}.{kind}.pad"]
                    for kind in ("major", "minor")}
        transform = ax.get_yaxis_transform() if which == "y" else ax.get_xaxis_transform()
        self.marks = {}
        for kind in ("major", "minor"):
            (self.marks[kind],) = ax.plot([], [], linestyle="none", visible=False, marker=TICKLEFT if which == "y" else TICKDOWN,
                                          markersize=rcParams[f"{prefix}.{kind}.size"], color=rcParams[f"{prefix}.color"],
                                          markeredgewidth=rcParams[f"{prefix}.{kind}.width"], transform=transform,
                                          clip_on=False, zorder=1.5)
        self.grid = None
        if grid is not None:
            style = {"colors": rcParams["grid.color"], "linewidths": rcParams["grid.linewidth"],
                     "linestyles": rcParams["grid.linestyle"], **grid}
            self.grid = LineCollection([], transform=transform, zorder=1.5, **style)
            ax.add_collection(self.grid, autolim=False)
        self.labels = {}
        for kind in ("major", "minor"):
            offset = (-self.pad[kind] / 72, 0) if which == "y" else (0, -self.pad[kind] / 72)
            labels = LabelCollection([], offsets=np.zeros((0, 2)), transform=IdentityTransform(),
                                     offset_transform=transform + ScaledTranslation(*offset, ax.figure.dpi_scale_trans),
                                     facecolors=rcParams[f"{prefix}.labelcolor"] if rcParams[f"{prefix}.labelcolor"]
                                     != "inherit" else rcParams[f"{prefix}.color"], edgecolors="none", clip_on=False)
            labels.set_in_layout(False)  # the stand-in below makes their room, so new labels never re-lay out
            ax.add_collection(labels, autolim=False)
            self.labels[kind] = labels
        # room for the labels in a layout: the widest label of the first update, invisible, kept
        self.room = LabelCollection([], offsets=np.zeros((0, 2)), transform=IdentityTransform(),
                                    offset_transform=self.labels["major"].get_offset_transform(),
                                    facecolors="none", edgecolors="none", clip_on=False)
        self.room.placeholder = True
        ax.add_collection(self.room, autolim=False)
        self._label_offset = None
        ax.add_artist(_BeforeDraw(self.update))

    def artists(self):
        return [*self.marks.values(), *([self.grid] if self.grid else []), *self.labels.values(), self.room]

    def _ticks(self, locator, formatter):
        lo, hi = sorted(self.axis.get_view_interval())
        values = np.asarray(locator.tick_values(lo, hi), dtype=float)
        values = values[(values >= lo - 1e-9 * abs(lo)) & (values <= hi + 1e-9 * abs(hi))]
        strings = formatter.format_ticks(values) if formatter is not None else [""] * len(values)
        return values, strings

    def update(self):
        """Ticks, grid and labels for the axes' current limits."""
        anchor = "right" if self.which == "y" else "top"
        size = self.labelsize / 10
        extents = []
        major_values = np.zeros(0)
        for locator, formatter, kind in self.locators:
            values, strings = self._ticks(locator, formatter)
            if kind == "major":
                major_values = values
            else:  # where a major tick is, matplotlib draws no minor one
                keep = ~np.isclose(values[:, None], major_values[None, :], rtol=1e-9, atol=0).any(axis=1)
                values, strings = values[keep], [s for s, k in zip(strings, keep) if k]
            place = np.column_stack([np.zeros_like(values), values]) if self.which == "y" else \
                np.column_stack([values, np.zeros_like(values)])
            self.marks[kind].set_data(place[:, 0], place[:, 1])
            self.marks[kind].set_visible(len(values) > 0)  # (an empty Line2D would measure as a point at 0, 0)
            shown = [(p, s) for p, s in zip(place, strings) if s]
            labels = [_label(s, anchor) for _, s in shown]
            collection = self.labels[kind]
            collection.strings = [s for _, s in shown]
            collection.set_paths([path for path, _, _ in labels])
            collection.set_offsets(np.array([p for p, _ in shown], dtype=float).reshape(-1, 2))
            collection.set_sizes([size**2])
            extents += [(width * size, height * size, kind) for _, width, height in labels]
        if self.grid is not None:
            self.grid.set_segments([[(0, v), (1, v)] if self.which == "y" else [(v, 0), (v, 1)]
                                    for v in major_values])
        self._place_axis_label(extents)
        if not len(self.room.get_paths()) and extents:
            widest = max(range(len(extents)), key=lambda i: extents[i][0 if self.which == "y" else 1])
            kind = extents[widest][2]
            collection = self.labels[kind]
            index = widest - (0 if kind == "major" else len(self.labels["major"].get_paths()))
            self.room.set_paths([collection.get_paths()[index]])
            self.room.set_offsets([(0, 0.5)] if self.which == "y" else [(0.5, 0)])
            self.room.set_offset_transform(
                (self.ax.transAxes + ScaledTranslation(*((-self.pad[kind] / 72, 0) if self.which == "y" else
                                                         (0, -self.pad[kind] / 72)), self.ax.figure.dpi_scale_trans)))
            self.room.set_sizes([size**2])
            self.room.strings = [collection.strings[index]]
        return self

    def _place_axis_label(self, extents):
        """Put the axis label beside the labels, labelpad beyond the farthest one, as matplotlib does."""
        if self.which == "y":
            reach = max([self.pad[kind] + width for width, _, kind in extents], default=0.0)
        else:
            reach = max([self.pad[kind] + height for _, height, kind in extents], default=0.0)
        offset = reach + self.axis.labelpad
        if offset == self._label_offset:
            return
        self._label_offset = offset
        shift = (-offset / 72, 0) if self.which == "y" else (0, -offset / 72)
        position = (0, 0.5) if self.which == "y" else (0.5, 0)
        self.axis.set_label_coords(*position, transform=self.ax.transAxes
                                   + ScaledTranslation(*shift, self.ax.figure.dpi_scale_trans))
