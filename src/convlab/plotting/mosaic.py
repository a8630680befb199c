"""A row of maps that share one colour scale, drawn as a single image in one Axes.

Each AxesImage costs a resample and a colour mapping at every draw (about 2 ms for a 64 x 64
map), and each Axes about as much again to lay out and draw its children, whether or not its
pixels changed: the channel explorer, with one Axes and one colour bar per map, spent some 80 ms
of every change on its 16 maps. Maps that share a colour scale (an output channel's per-channel
correlations and their sum) can be one image instead: placed side by side in one array, with NaN
in the gaps and for the panels not shown (a colour map draws NaN transparent, so the figure's
white shows there). One image, one colour mapping and one Axes per row, and each panel still
shows its own pixels under the row's colour map and limits.

A row is laid out in data coordinates measured in panel widths: panel i spans x from lefts[i] to
lefts[i] + 1 and y from 0 (top) to `height`, whatever the maps' pixel size, so rows of 58 x 58
and of 70 x 70 maps sit in the same place. Its colour bar is drawn in the same Axes: a ramp image
with a fixed norm of its own (its pixels never change, so they stay cached), a frame, and three
tick labels (both ends and the middle) as cached outlines.
"""
import numpy as np
from matplotlib import rcParams
from matplotlib.patches import Rectangle

from .images import _tick, tick_stand_in
from .nearest import draw_nearest
from .text import PathLabels

__all__ = ["PanelRow", "plot_panel_row"]

TITLE_LIFT = 0.02  # a title's bottom above its panel, in panel heights (as `plot_title`'s 1.02)
BAR_WIDTH = 0.054  # a colour bar's width, in panel widths (as wide as matplotlib's beside such a panel)
TICK_GAP = 0.4  # tick labels start this many bar widths right of the bar (as `ColorScale`'s)
RAMP_STEPS = 256  # rows of the ramp: as many as a colour map's lookup table


class PanelRow:
    """Maps of one shape side by side in one Axes, drawn as one image (see the module docstring).

    lefts: the left edge of each panel, in panel widths. titles: one per panel, above it.
    cmap, vmin, vmax: the row's colour map and first limits (`set_data` changes the limits).
    colorbar_at: the left edge of the colour bar (None: no bar). width: the x extent of the Axes
    in panel widths (default: up to the last panel or the bar), so that rows of different
    content can share their columns. height: a panel's height in panel widths (each map is
    stretched to fill its panel, so give maps of that aspect: 1 for square maps).
    tick_room: characters a tick label is laid out as (see `ColorScale`).

    Artists: `image` (the mosaic), `titles` and `ticks` (PathLabels), `ramp` and `frame` (the
    colour bar; None without one).
    """

    def __init__(self, ax, lefts, *, titles, cmap, vmin=0.0, vmax=1.0, colorbar_at=None, width=None, height=1.0,
                 title_fontsize=10, tick_fontsize=8, tick_room=6):
        self.ax = ax
        self.lefts = np.asarray(lefts, dtype=float)
        self.height = height
        self.tick_fontsize = tick_fontsize
        right = self.lefts[-1] + 1
        if colorbar_at is not None:
            right = max(right, colorbar_at + BAR_WIDTH)
        # "nearest": every pixel of a small map drawn as a square, sampled in numpy (`.nearest`:
        # half a millisecond where matplotlib's resampling takes 3.5 to 10)
        self.image = draw_nearest(ax.imshow(np.full((1, 1), np.nan), cmap=cmap, vmin=vmin, vmax=vmax,
                                            interpolation="nearest", extent=(0, 1, height, 0)))
        self.ramp = self.frame = None
        self.ticks = PathLabels(ax, clip_on=False, coords="data", in_layout=True)
        if colorbar_at is not None:
            self._bar_x = colorbar_at
            steps = np.linspace(1, 0, RAMP_STEPS)[:, None]  # top row: the top of the scale
            self.ramp = draw_nearest(ax.imshow(steps, cmap=cmap, vmin=0, vmax=1, interpolation="nearest",
                                               extent=(colorbar_at, colorbar_at + BAR_WIDTH, height, 0)))
            self.frame = Rectangle((colorbar_at, 0), BAR_WIDTH, height, fill=False, edgecolor="black",
                                   linewidth=rcParams["axes.linewidth"], clip_on=False)
            ax.add_patch(self.frame)
            # new numbers at every change, laid out as `tick_room` zeros so that they do not re-lay out
            self.ticks.collection.layout_stand_in = tick_stand_in(tick_room)
        ax.set_axis_off()
        ax.set_xlim(0, right if width is None else width)
        ax.set_ylim(height, 0)
        ax.set_aspect("equal")
        self.titles = PathLabels(ax, clip_on=False, coords="data", in_layout=True)
        self.titles.set([(left + 0.5, -TITLE_LIFT * height) for left in self.lefts], titles, "black",
                        title_fontsize, block=True)
        self._title_colors = None
        self._layout = None  # the last mosaic's (map shape, panel columns in pixels)
        self.shown = [False] * len(self.lefts)
        self.set_limits(vmin, vmax)

    def set_data(self, maps, vmin, vmax):
        """Show `maps` (one per panel: 2-D arrays of one shape, or None to leave a panel blank and
        its title out) under the colour map from vmin to vmax."""
        if len(maps) != len(self.lefts):
            raise ValueError(f"a PanelRow of {len(self.lefts)} panels needs as many maps, got {len(maps)}")
        given = [np.asarray(m, dtype=float) for m in maps if m is not None]
        shapes = {m.shape for m in given}
        if len(shapes) > 1 or any(m.ndim != 2 for m in given):
            raise ValueError(f"a PanelRow's maps must be 2-D and of one shape, got shapes {sorted(shapes)}")
        h, w = given[0].shape if given else (1, 1)
        # panel i starts at the pixel column nearest to lefts[i]: at most half a map pixel off
        columns = np.round(self.lefts * w).astype(int)
        mosaic = np.full((h, columns[-1] + w), np.nan)
        for fmap, column in zip(maps, columns):
            if fmap is not None:
                mosaic[:, column : column + w] = fmap
        self.image.set_data(mosaic)
        if self._layout != (h, w):  # a setter runs matplotlib's callbacks: only when it changes
            self._layout = (h, w)
            self.image.set_extent((0, mosaic.shape[1] / w, self.height, 0))
        self.shown = [m is not None for m in maps]
        colors = [(0, 0, 0, 1) if shown else (0, 0, 0, 0) for shown in self.shown]
        if colors != self._title_colors:
            # hidden titles stay in the collection, transparent: the layout does not change with them
            self._title_colors = colors
            self.titles.collection.set_facecolors(colors)
        self.set_limits(vmin, vmax)
        return self

    def panel_span(self, index):
        """(left, right) of panel `index` as drawn, in data coordinates: its maps' pixels are whole
        columns of the mosaic, so it starts within half a map pixel of lefts[index]."""
        h, w = self._layout
        left = np.round(self.lefts[index] * w) / w
        return left, left + 1

    def set_limits(self, vmin, vmax):
        """The colour scale's limits, on the image and on the colour bar's ticks."""
        if self.image.get_clim() != (vmin, vmax):
            self.image.set_clim(vmin, vmax)
        if self.ramp is not None:
            x = self._bar_x + BAR_WIDTH * (1 + TICK_GAP)
            self.ticks.set([(x, self.height), (x, self.height / 2), (x, 0)],
                           [_tick(v) for v in (vmin, (vmin + vmax) / 2, vmax)], "black", self.tick_fontsize, left=True)
        return self

    def show_colorbar(self, visible):
        """Show or hide the colour bar (its ramp, frame and ticks)."""
        for artist in (self.ramp, self.frame, self.ticks.collection):
            if artist is not None and artist.get_visible() != visible:
                artist.set_visible(visible)
        return self


def plot_panel_row(ax, lefts, maps=None, *, titles, cmap, vmin=0.0, vmax=1.0, **kwargs):
    """A `PanelRow` in `ax` (see its docstring), showing `maps` if given; update with `set_data`."""
    row = PanelRow(ax, lefts, titles=titles, cmap=cmap, vmin=vmin, vmax=vmax, **kwargs)
    return row if maps is None else row.set_data(maps, vmin, vmax)
