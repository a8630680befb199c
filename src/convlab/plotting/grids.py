"""Small matrices drawn cell by cell, and the sliding windows that visit them.

Cell (r, c) of a grid is centred at x = c, y = r (rows grow downwards), so window
coordinates, padding offsets and array indices all share one coordinate system.
"""
import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from .text import PathLabels

__all__ = ["Grid", "Windows", "Marks", "plot_grid", "plot_window", "plot_windows", "plot_marks"]


def _as_boxes(highlight):
    """None, one (row, col, height, width) box, or a list of boxes -> list of boxes."""
    if highlight is None:
        return []
    if len(highlight) == 4 and all(np.isscalar(v) for v in highlight):
        return [tuple(highlight)]
    return [tuple(box) for box in highlight]


class Grid:
    """The artists of a matrix drawn as coloured cells with their numbers.

    Attributes: `image` (AxesImage of the cell colours), `lines` (cell borders),
    `labels` (a PathLabels: the numbers, `labels.strings` in reading order), `highlights` (Rectangles).
    Update in place with `set_data`; NaN cells are left blank (e.g. outputs not computed yet).
    """

    def __init__(self, ax, *, cmap="Blues", fmt="{:g}", fontsize=10, numbers=True, indices=False,
                 highlight_color="tab:orange"):
        self.ax = ax
        self.fmt = fmt
        self.fontsize = fontsize
        self.numbers = numbers
        self.indices = indices
        self.highlight_color = highlight_color
        self.image = ax.imshow(np.zeros((1, 1)), cmap=colormaps[cmap].with_extremes(bad="white"),
                               interpolation="nearest", aspect="equal")
        self.lines = LineCollection([], colors="0.55", linewidths=0.8)
        ax.add_collection(self.lines)
        self.labels = PathLabels(ax, zorder=3)
        self.index_labels = PathLabels(ax, clip_on=False)
        self.highlights = []
        self.frame = ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2.5, ec="black", zorder=3, visible=False))
        # no axis machinery: tick layout costs more than the whole grid; indices are drawn as labels
        ax.set_axis_off()

    def artists(self):
        """Every artist this grid owns."""
        return [self.image, self.lines, self.frame, self.labels.collection, self.index_labels.collection,
                *self.highlights]

    def _cell_points(self, nrows, ncols):
        """Size of one cell in points, to fit the numbers inside it."""
        fig = self.ax.figure
        box = self.ax.get_position()
        margin = 0.7 if self.indices else 0.0
        width = box.width * fig.get_figwidth() * 72 / (ncols + margin)
        height = box.height * fig.get_figheight() * 72 / (nrows + margin)
        return min(width, height)

    def set_data(self, array, *, origin=(0, 0), highlight=None, frame=None, labels=None, vmin=None, vmax=None,
                 view=None):
        """Redraw for `array` (2-D); `origin` = (row, col) coordinates of its top-left cell.

        highlight: a (row, col, height, width) box or a list of them, in the same coordinates.
        frame: one (row, col, height, width) box outlined in black, e.g. the real input inside its padding.
        view: (rows, cols): show at least this many cells, the grid centred, so that grids drawn
        side by side in equal-height axes share one cell size.
        labels: optional array of strings shown instead of the numbers ('' hides one).
        """
        array = np.asarray(array, dtype=np.float64)
        if array.ndim != 2:
            raise ValueError(f"plot_grid needs a 2-D array, got shape {array.shape}")
        nrows, ncols = array.shape
        r0, c0 = origin
        left, right, top, bottom = c0 - 0.5, c0 + ncols - 0.5, r0 - 0.5, r0 + nrows - 0.5
        finite = array[np.isfinite(array)]
        lo = vmin if vmin is not None else (finite.min() if finite.size else 0.0)
        hi = vmax if vmax is not None else (finite.max() if finite.size else 1.0)
        if hi <= lo:
            hi = lo + 1.0
        self.image.set_data(np.ma.masked_invalid(array))
        self.image.set_extent((left, right, bottom, top))
        self.image.set_clim(lo, hi)
        rows = [[(left, y), (right, y)] for y in np.arange(nrows + 1) + top]
        cols = [[(x, top), (x, bottom)] for x in np.arange(ncols + 1) + left]
        self.lines.set_segments(rows + cols)
        extra_rows, extra_cols = (0, 0) if view is None else (max(view[0] - nrows, 0), max(view[1] - ncols, 0))
        margin = 0.7 if self.indices else 0.0  # room inside the axes for the row and column numbers
        edge = 0.04  # and for the outer cell borders, which the axes would clip in half
        self.ax.set_xlim(left - extra_cols / 2 - margin - edge, right + extra_cols / 2 + edge)
        self.ax.set_ylim(bottom + extra_rows / 2 + margin + edge, top - extra_rows / 2 - edge)
        self._set_indices(nrows, ncols, origin, bottom, left)
        self._shown = (nrows + extra_rows, ncols + extra_cols)
        self._set_numbers(array, origin, labels, lo, hi)
        self._set_highlights(_as_boxes(highlight))
        if frame is not None:
            row, col, height, width = frame
            self.frame.set_bounds(col - 0.5, row - 0.5, width, height)
        self.frame.set_visible(frame is not None)
        return self

    def _set_numbers(self, array, origin, labels, lo, hi):
        positions, strings, colors = [], [], []
        if self.numbers:
            # white numbers on dark cells, black on light ones (luminance of the cell's own colour)
            rgba = self.image.cmap(self.image.norm(array))
            dark = rgba[..., :3] @ np.array([0.299, 0.587, 0.114]) < 0.5
            for (r, c), value in np.ndenumerate(array):
                label = labels[r][c] if labels is not None else ("" if not np.isfinite(value) else self._format(value))
                if label:
                    positions.append((c + origin[1], r + origin[0]))
                    strings.append(label)
                    colors.append("white" if np.isfinite(value) and dark[r, c] else "black")
        # sized at draw time, once a layout engine has placed the axes: a number fills at most 42% of its cell
        self.labels.set(positions, strings, colors or "black",
                        lambda: min(self.fontsize, 0.42 * self._cell_points(*self._shown)))

    def _set_indices(self, nrows, ncols, origin, bottom, left):
        """Row numbers left of the grid and column numbers below it (when `indices`)."""
        places = []
        if self.indices:
            places = [((left - 0.3, r + origin[0]), str(r + origin[0])) for r in range(nrows)]
            places += [((c + origin[1], bottom + 0.3), str(c + origin[1])) for c in range(ncols)]
        self.index_labels.set([p for p, _ in places], [s for _, s in places], "0.35", 8)

    def _format(self, value):
        value = value + 0.0  # -0.0 (e.g. 0 * -1) reads 0
        return self.fmt(value) if callable(self.fmt) else self.fmt.format(value)

    def _set_highlights(self, boxes):
        while len(self.highlights) < len(boxes):
            patch = Rectangle((0, 0), 1, 1, fill=False, lw=2.5, ec=self.highlight_color, zorder=4)
            self.highlights.append(self.ax.add_patch(patch))
        for index, patch in enumerate(self.highlights):
            if index < len(boxes):
                row, col, height, width = boxes[index]
                patch.set_bounds(col - 0.5, row - 0.5, width, height)
            patch.set_visible(index < len(boxes))


def plot_grid(ax, array, *, highlight=None, frame=None, origin=(0, 0), labels=None, cmap="Blues", fmt="{:g}",
              fontsize=10, numbers=True, indices=False, vmin=None, vmax=None, view=None):
    """Draw a small matrix as coloured cells with its numbers; returns a `Grid` (update with set_data).

    highlight: (row, col, height, width) box(es) outlined on top, e.g. the current window.
    frame: a (row, col, height, width) box outlined in black (e.g. the input inside its padding).
    origin: (row, col) of the top-left cell, e.g. (-1, -1) for an input padded by 1.
    fmt: a format string such as "{:.2f}", or a function from a number to its label.
    indices: label the axes with row and column indices.
    view: (rows, cols) to show at least, so that several grids share one cell size.
    """
    grid = Grid(ax, cmap=cmap, fmt=fmt, fontsize=fontsize, numbers=numbers, indices=indices)
    return grid.set_data(array, origin=origin, highlight=highlight, frame=frame, labels=labels, vmin=vmin, vmax=vmax,
                         view=view)


class Windows:
    """Outlines of kernel windows (one LineCollection), and the taps of one of them as dots.

    A window at (row, col) with size (height, width) and dilation d reads the cells
    (row + d*a, col + d*b); its outline spans d*(size-1) + 1 cells.
    """

    def __init__(self, ax, *, color="tab:red", linewidth=1.5, alpha=1.0, show_taps=True, inset=0.0,
                 show_centres=False, linestyle="-"):
        self.ax = ax
        self.inset = inset
        self.outlines = LineCollection([], colors=color, linewidths=linewidth, alpha=alpha, zorder=5,
                                       linestyles=linestyle)
        ax.add_collection(self.outlines)
        (self.taps,) = ax.plot([], [], "o", color=color, ms=4, zorder=6)
        (self.centres,) = ax.plot([], [], "+", color=color, ms=7, mew=1.5, alpha=alpha, zorder=6)
        self.show_taps = show_taps
        self.show_centres = show_centres

    def artists(self):
        return [self.outlines, self.taps, self.centres]

    def set_positions(self, positions, height, width, dilation=1, taps_of=0):
        """positions: list of (row, col) top-left taps; taps_of: index of the window whose taps get dots."""
        span_h, span_w = dilation * (height - 1) + 1, dilation * (width - 1) + 1
        segments = []
        for index, (row, col) in enumerate(positions):
            # neighbouring windows get different insets, so overlapping outlines stay apart
            inset = self.inset * (1 + (row + col + index) % 2) / 2 if self.inset else 0.0
            x0, y0 = col - 0.5 + inset, row - 0.5 + inset
            x1, y1 = col + span_w - 0.5 - inset, row + span_h - 0.5 - inset
            segments.append([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
        self.outlines.set_segments(segments)
        if self.show_centres and positions:
            rows, cols = np.array(positions, dtype=float).T
            self.centres.set_data(cols + (span_w - 1) / 2, rows + (span_h - 1) / 2)
        else:
            self.centres.set_data([], [])
        if self.show_taps and dilation > 1 and positions and taps_of is not None:
            row, col = positions[taps_of]
            ys, xs = np.meshgrid(row + dilation * np.arange(height), col + dilation * np.arange(width), indexing="ij")
            self.taps.set_data(xs.ravel(), ys.ravel())
        else:
            self.taps.set_data([], [])
        return self


def plot_windows(ax, positions, height, width, *, dilation=1, color="tab:red", linewidth=1.5, alpha=1.0,
                 show_taps=True, inset=0.0, show_centres=False, linestyle="-"):
    """Outline every window position (row, col) of a height x width kernel; returns a `Windows`.

    With dilation > 1 the taps of the first window are marked with dots. inset (in cells) draws
    each outline inside its cells, alternating between inset/2 and inset, so that overlapping
    windows stay distinguishable; show_centres marks each window's centre with a +. linestyle
    ("-", "--", ":") tells windows apart without relying on colour alone.
    """
    windows = Windows(ax, color=color, linewidth=linewidth, alpha=alpha, show_taps=show_taps, inset=inset,
                      show_centres=show_centres, linestyle=linestyle)
    return windows.set_positions(list(positions), height, width, dilation)


def plot_window(ax, row, col, height, width, *, dilation=1, color="tab:red", linewidth=2.5, linestyle="-"):
    """Outline one window whose top-left tap is (row, col); returns a `Windows` (update with set_positions)."""
    return plot_windows(ax, [(row, col)], height, width, dilation=dilation, color=color, linewidth=linewidth,
                        linestyle=linestyle)


class Marks:
    """Rings around chosen cells (e.g. the input each max pool returns), with a count where a cell is chosen twice."""

    def __init__(self, ax, *, color="tab:red", size=17):
        self.ax = ax
        self.color = color
        (self.rings,) = ax.plot([], [], "o", ms=size, mfc="none", mec=color, mew=2, zorder=6)
        self.counts = PathLabels(ax, zorder=7)

    def artists(self):
        return [self.rings, self.counts.collection]

    def set_cells(self, cells):
        """cells: (row, col) pairs, repeats allowed; each distinct cell gets one ring, repeats a ×n."""
        cells = np.asarray(cells, dtype=int).reshape(-1, 2)
        unique, counts = np.unique(cells, axis=0, return_counts=True)
        self.rings.set_data(unique[:, 1], unique[:, 0])
        many = counts > 1
        self.counts.set(np.column_stack([unique[many, 1] + 0.3, unique[many, 0] - 0.3]),
                        [f"×{n}" for n in counts[many]], self.color, fontsize=8)
        return self


def plot_marks(ax, cells, *, color="tab:red", size=17):
    """Ring the cells (row, col) of a grid; a cell listed n > 1 times is labelled ×n. Returns a `Marks`."""
    return Marks(ax, color=color, size=size).set_cells(cells)
