"""Loss curves, receptive fields, and a message drawn over a whole figure."""
import math
import weakref

import numpy as np
from matplotlib import colormaps
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, MaxNLocator

from .text import PathLabels
from .ticks import DrawnAxis

__all__ = [
    "LossCurve",
    "LayerSizes",
    "ReceptiveFieldMap",
    "Message",
    "TextPanel",
    "plot_loss_curve",
    "plot_layer_sizes",
    "plot_receptive_field",
    "plot_message",
    "plot_text_panel",
]


_LOSS_AXES = weakref.WeakKeyDictionary()  # Axes -> the DrawnAxis pair of the loss curves drawn in it


class LossCurve:
    """A training loss per epoch on a log scale (Line2D `line`), updated with set_data.

    Its ticks are matplotlib's (log scale: powers of ten, minor ticks between them), drawn as a
    few artists (`DrawnAxis`): the explorer redraws this chart on every change.
    """

    def __init__(self, ax, *, color="tab:blue"):
        self.ax = ax
        (self.line,) = ax.plot([], [], "o-", color=color, ms=3, lw=1.5)
        self.ticks = _LOSS_AXES.get(ax)  # several curves on one axes share its ticks
        if self.ticks is None:
            _LOSS_AXES[ax] = self.ticks = self._set_up_axes(ax)

    @staticmethod
    def _set_up_axes(ax):
        ax.set_yscale("log", nonpositive="clip")
        ax.set_xlabel("epoch", fontsize=9)
        ax.set_ylabel("loss", fontsize=9)
        ax.tick_params(labelsize=8)  # (how many ticks fit follows the label size)
        grid = {"alpha": 0.3}
        x, y = ax.xaxis, ax.yaxis  # matplotlib's locators and formatters for these scales
        return [DrawnAxis(ax, "x", major=x.get_major_locator(), major_format=x.get_major_formatter(), labelsize=8,
                          grid=grid),
                DrawnAxis(ax, "y", major=y.get_major_locator(), major_format=y.get_major_formatter(),
                          minor=y.get_minor_locator(), minor_format=y.get_minor_formatter(), labelsize=8, grid=grid)]

    def artists(self):
        return [self.line, *(artist for ticks in self.ticks for artist in ticks.artists())]

    def set_data(self, losses):
        """losses: one value per epoch (epoch 1 first); non-finite values are dropped."""
        losses = np.asarray(losses, dtype=np.float64)
        epochs = np.arange(1, losses.size + 1)
        keep = np.isfinite(losses) & (losses > 0)
        self.line.set_data(epochs[keep], losses[keep])
        self.ax.set_xlim(0.5, max(losses.size, 1) + 0.5)
        if keep.any():
            lo, hi = losses[keep].min(), losses[keep].max()
            self.ax.set_ylim(lo / 2, hi * 2)
        else:
            self.ax.set_ylim(1e-3, 1)
        for ticks in self.ticks:
            ticks.update()
        return self


def plot_loss_curve(ax, losses):
    """Plot losses (one per epoch) against the epoch on a log scale; returns a `LossCurve`."""
    return LossCurve(ax).set_data(losses)


class LayerSizes:
    """One value per layer (e.g. the receptive field size) as points joined by a line, each labelled."""

    def __init__(self, ax, *, ylabel="receptive field (input pixels per side)", color="tab:purple"):
        self.ax = ax
        (self.line,) = ax.plot([], [], "o-", color=color)
        self.labels = PathLabels(ax, clip_on=False)
        ax.set_xlabel("layer", fontsize=9)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.tick_params(labelsize=8)  # (how many ticks fit follows the label size)
        # matplotlib's ticks (one per layer; integers up the side), drawn as a few artists: the
        # receptive-field explorer redraws this chart on every change
        self.layers = FixedLocator([1])
        grid = {"alpha": 0.3}
        self.ticks = [DrawnAxis(ax, "x", major=self.layers, major_format=ax.xaxis.get_major_formatter(), labelsize=8,
                                grid=grid),
                      DrawnAxis(ax, "y", major=MaxNLocator(integer=True), major_format=ax.yaxis.get_major_formatter(),
                                labelsize=8, grid=grid)]

    def artists(self):
        return [self.line, self.labels.collection, *(artist for ticks in self.ticks for artist in ticks.artists())]

    def set_data(self, values):
        """values: one number per layer, layer 1 first."""
        values = list(values)
        layers = np.arange(1, len(values) + 1)
        top = max(values) if values else 1
        self.line.set_data(layers, values)
        self.labels.set([(x, y + 0.03 * top) for x, y in zip(layers, values)], [f"{v:g}" for v in values],
                        fontsize=8, block=True)
        self.ax.set_xlim(0.5, len(values) + 0.5)
        self.layers.locs = layers  # a tick per layer
        self.ax.set_ylim(0, top * 1.18 + 1)
        for ticks in self.ticks:
            ticks.update()
        return self


def plot_layer_sizes(ax, values, *, ylabel="receptive field (input pixels per side)", color="tab:purple"):
    """Plot one value per layer (points, line and numbers); returns a `LayerSizes` (update with set_data)."""
    return LayerSizes(ax, ylabel=ylabel, color=color).set_data(values)


class TextPanel:
    """Left-aligned lines of text filling an axes (formulas, shapes), drawn as cached outlines.

    A matplotlib Text of several lines costs milliseconds to draw; outlines of the same text cost
    microseconds. Update with `set_text`; `get_text()` returns what is shown.
    """

    def __init__(self, ax, *, fontsize=9.5, monospace=False, at=(0.0, 0.5), coords="axes"):
        ax.set_axis_off()
        self.fontsize = fontsize
        self.family = "mono" if monospace else "sans"
        self.at = at
        # out of the layout: a panel's numbers change with every slider move, and its axes already
        # holds its place (the figure tests check that it stays on the canvas)
        self.labels = PathLabels(ax, clip_on=False, coords=coords, in_layout=False)
        self.text = ""

    def set_text(self, text):
        self.text = text
        self.labels.set([self.at], [text], "black", self.fontsize, block=True, left=True, family=self.family)
        return self

    def get_text(self):
        return self.text


def plot_text_panel(ax, text="", *, fontsize=9.5, monospace=False, at=(0.0, 0.5), coords="axes"):
    """Turn `ax` into a panel of left-aligned text (formulas, shapes); returns a `TextPanel` (update with set_text).

    at: where the lines start, their block centred vertically there, in `coords` ('axes': fractions
    of the axes, the default fills it from its left edge; 'data': beside what `ax` shows).
    """
    return TextPanel(ax, fontsize=fontsize, monospace=monospace, at=at, coords=coords).set_text(text)


class ReceptiveFieldMap:
    """Nested receptive fields: which input pixels one output pixel of each layer reads.

    Drawn as an image in which each input pixel is coloured by the first layer that reaches it
    (white: never read, e.g. the holes a dilated kernel leaves), and one square per layer.
    """

    def __init__(self, ax, *, cmap="viridis_r", max_pixels=400):
        self.ax = ax
        self.max_pixels = max_pixels
        self.image = ax.imshow(np.zeros((1, 1)), cmap=colormaps[cmap].with_extremes(bad="white"),
                               interpolation="nearest")
        self.squares = []
        self.labels = []
        ax.set_axis_off()

    def artists(self):
        return [self.image, *self.squares, *self.labels]

    def set_data(self, taps):
        """taps: one 1-D array per layer, the input offsets (per axis) that one unit of that layer reads.

        The offsets share one coordinate system (the last layer's field starts at 0); a layer's 2-D
        field is the outer product of its offsets with themselves (square kernels).
        """
        taps = [np.asarray(t, dtype=int) for t in taps]
        size = int(max(t.max() for t in taps)) + 1
        if size <= self.max_pixels:
            first = np.full((size, size), np.nan)
            for layer in range(len(taps) - 1, -1, -1):  # smaller fields last, so they win
                first[np.ix_(taps[layer], taps[layer])] = layer + 1
            self.image.set_data(np.ma.masked_invalid(first))
            self.image.set_clim(1, max(len(taps), 2))
            self.image.set_visible(True)
        else:  # too many pixels to draw one by one: squares only
            self.image.set_visible(False)
        self.image.set_extent((-0.5, size - 0.5, size - 0.5, -0.5))
        self._set_squares(taps)
        pad = max(1, size * 0.04)
        self.ax.set_xlim(-0.5 - pad, size - 0.5 + pad)
        self.ax.set_ylim(size - 0.5 + pad, -0.5 - pad)
        return self

    def _set_squares(self, taps):
        cmap = self.image.cmap
        while len(self.squares) < len(taps):
            self.squares.append(self.ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=1.5, zorder=4)))
            self.labels.append(self.ax.text(0, 0, "", fontsize=8, ha="left", va="bottom", zorder=5,
                                            bbox=dict(fc="white", ec="none", pad=1, alpha=0.8)))
        # a label at each square's top-left corner, from the largest square in: one whose corner is
        # too close to the last labelled one (a twelfth of the map) would sit on it, so it is left out
        size = max(int(t.max()) for t in taps) + 1
        labelled, last_lo = set(), None
        for index in range(len(taps) - 1, -1, -1):
            lo = int(taps[index].min())
            if last_lo is None or (lo - last_lo >= size / 12 and len(taps) <= 6):
                labelled.add(index)
                last_lo = lo
        for index, (square, label) in enumerate(zip(self.squares, self.labels)):
            visible = index < len(taps)
            square.set_visible(visible)
            label.set_visible(visible and index in labelled)
            if not visible:
                continue
            lo, hi = taps[index].min(), taps[index].max()
            color = cmap(index / max(len(taps) - 1, 1))
            square.set_bounds(lo - 0.5, lo - 0.5, hi - lo + 1, hi - lo + 1)
            square.set_edgecolor(color)
            label.set_position((lo - 0.5, lo - 0.5))
            label.set_text(f"L{index + 1}: {hi - lo + 1}")
            label.set_color("black")


def plot_receptive_field(ax, taps):
    """Draw the nested receptive fields given per-layer input offsets; returns a `ReceptiveFieldMap`."""
    return ReceptiveFieldMap(ax).set_data(taps)


def _wrapped(text, prop, figure):
    """`text` with the line breaks matplotlib's wrap=True puts in a text centred on the figure: as
    many words on a line as fit the figure's width, measured as matplotlib measures them. The
    widths grow with the words, so the words that fit are found by bisection (about 5 lines
    measured per line kept, where matplotlib measures a line per word: 50 ms for a long reason)."""
    renderer = figure.canvas.get_renderer()
    limit = figure.bbox.width

    def width(words):
        w, _, _ = renderer.get_text_width_height_descent(" ".join(words), prop, ismath=False)
        return math.ceil(w)

    lines = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        while words:
            fits, too_many = 1, len(words) + 1  # one word always goes on a line
            while too_many - fits > 1:
                middle = (fits + too_many) // 2
                fits, too_many = (middle, too_many) if width(words[:middle]) <= limit else (fits, middle)
            lines.append(" ".join(words[:fits]))
            words = words[fits:]
    return "\n".join(lines)


class Message:
    """A reason written over the whole figure (e.g. why a combination is invalid), hidden by default."""

    def __init__(self, figure):
        self.veil = Rectangle((0, 0), 1, 1, transform=figure.transFigure, fc="white", alpha=0.8,
                              zorder=50, visible=False)
        figure.add_artist(self.veil)
        self.text = figure.text(0.5, 0.5, "", ha="center", va="center", fontsize=11, color="darkred",
                                zorder=51, visible=False,  # wrapped by show(), as wrap=True would
                                bbox=dict(boxstyle="round,pad=0.6", fc="mistyrose", ec="darkred"))

    def artists(self):
        return [self.veil, self.text]

    def show(self, text):
        self.text.set_text(_wrapped(text, self.text.get_fontproperties(), self.text.get_figure(root=True)))
        self.veil.set_visible(True)
        self.text.set_visible(True)

    def hide(self):
        self.veil.set_visible(False)
        self.text.set_visible(False)

    @property
    def visible(self):
        return self.text.get_visible()


def plot_message(figure):
    """Add a hidden message box over `figure`; returns a `Message` with show(text) and hide()."""
    return Message(figure)
