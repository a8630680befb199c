"""Max and average pooling on a small grid of numbers, with the winner of each max marked."""
import numpy as np

from .. import avg_pool2d, max_pool2d
from .._checks import as_float_array, check_ndim
from ..plotting import plot_grid, plot_marks, plot_title, plot_windows
from ._base import Explorer, choice, int_slider

__all__ = ["pooling_explorer"]

# the controls and their ranges, shared with the website's live explorer (explore/live.py)
POOLING_MODES = ("max", "avg")
POOLING_RANGES = {"kernel_size": (1, 4), "stride": (1, 4), "padding": (0, 2)}


def default_pool_image():
    """A 6x6 grid of the distinct numbers 1..36 in a fixed shuffled order (no ties: one winner per max)."""
    return (np.random.default_rng(7).permutation(36) + 1).reshape(6, 6).astype(np.float64)


def max_winners(image, kernel_size, stride, padding):
    """(row, col) in the input of the value each max-pooling window returns, shape (H_out, W_out, 2).

    The winners are the indices `max_pool2d(..., return_indices=True)` returns, as torch's do:
    ties go to the first maximum in reading order, and padding (-inf) never wins.
    """
    _, indices = max_pool2d(image[None], kernel_size, stride=stride, padding=padding, return_indices=True)
    return np.stack(np.divmod(indices[0], image.shape[1]), axis=-1)


class PoolingExplorer(Explorer):
    figsize = (7.0, 4.2)

    def __init__(self, image, controls):
        self.image = image
        super().__init__(controls)

    def build(self, figure):
        h, w = self.image.shape
        self.view = (h + 4.3, w + 4.3)  # room for the largest padding (and its outlines): one cell size throughout
        self.ax_input, self.ax_output = figure.subplots(1, 2)
        self.input_grid = plot_grid(self.ax_input, self.image, cmap="Blues", fontsize=9)
        self.windows = plot_windows(self.ax_input, [], 1, 1, color="tab:blue", linewidth=1.2, alpha=0.6,
                                    show_taps=False, inset=0.14)
        self.winner_marks = plot_marks(self.ax_input, np.zeros((0, 2)))
        self.output_grid = plot_grid(self.ax_output, np.zeros((1, 1)), cmap="Blues", fontsize=10)

    def compute(self, mode, kernel_size, stride, padding):
        pool = max_pool2d if mode == "max" else avg_pool2d
        output = pool(self.image[None], kernel_size, stride=stride, padding=padding)[0]
        tops = [i * stride - padding for i in range(output.shape[0])]
        lefts = [j * stride - padding for j in range(output.shape[1])]
        winners = max_winners(self.image, kernel_size, stride, padding) if mode == "max" else None
        return {"output": output, "winners": winners, "positions": [(r, c) for r in tops for c in lefts]}

    def draw(self, state):
        v = self.values()
        k, p, mode = v["kernel_size"], v["padding"], v["mode"]
        h, w = self.image.shape
        padded = np.pad(self.image, p, constant_values=np.nan)
        pad_label = "−∞" if mode == "max" else "0"
        labels = [["" if np.isnan(x) else f"{x:g}" for x in row] for row in padded]
        labels = [[lab or pad_label for lab in row] for row in labels]
        self.input_grid.set_data(padded, origin=(-p, -p), frame=(0, 0, h, w), labels=labels,
                                 vmin=np.nanmin(self.image), vmax=np.nanmax(self.image) * 1.4, view=self.view)
        self.windows.set_positions(state["positions"], k, k)
        # ring the input each max returns; one that wins several windows (stride < kernel) is counted
        self.winner_marks.set_cells(np.zeros((0, 2)) if state["winners"] is None else state["winners"].reshape(-1, 2))
        out = state["output"]
        self.output_grid.fmt = "{:g}" if mode == "max" else "{:.1f}"
        self.output_grid.set_data(out, vmin=self.image.min(), vmax=self.image.max() * 1.4, view=self.view)
        what = "circles: the input each max returns" if mode == "max" else "each output averages its window"
        plot_title(self.ax_input, f"input padded by {p} ({pad_label} in the padding)\nwindows {k}×{k}; {what}",
                   fast=True)
        plot_title(self.ax_output, f"{mode} pool output {out.shape[0]}×{out.shape[1]}", fast=True)


def pooling_explorer(*, mode="max", kernel_size=2, stride=2, padding=0, image=None):
    """Max or average pooling on a small grid; every window is outlined and each max's winner circled.

    image: a small 2-D array (default: the numbers 1..36 shuffled in a 6x6 grid).
    Controls: `mode` ('max'/'avg'), `kernel_size` (1-4), `stride` (1-4), `padding` (0-2; torch allows
    at most kernel_size // 2, and the explorer shows the reason otherwise).
    State: `output`, `winners` ((H_out, W_out, 2) input positions, max mode only), `positions`.
    """
    image = as_float_array(default_pool_image() if image is None else image, "image")
    check_ndim(image, "image", (2,), "a small 2-D array (H, W)")
    if image.size > 144:
        raise ValueError(f"image is meant to be small enough to read its numbers (at most 12x12), got {image.shape}")
    values = {"kernel_size": kernel_size, "stride": stride, "padding": padding}
    controls = {
        "mode": choice("mode", mode, list(POOLING_MODES), buttons=True),
        **{name: int_slider(name, values[name], lo, hi) for name, (lo, hi) in POOLING_RANGES.items()},
    }
    return PoolingExplorer(image, controls)
