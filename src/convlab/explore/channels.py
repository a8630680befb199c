"""Channels: each output map is the sum over input channels of per-channel correlations, plus a bias."""
import contextlib
import functools

import numpy as np

from .. import avg_pool2d, conv2d, photograph_rgb
from .._checks import as_float_array, check_ndim
from ..plotting import plot_panel_row, plot_text_panel
from ..plotting.images import SIGNED_CMAP, _robust_bound
from ..plotting.mosaic import BAR_WIDTH
from ..plotting.text import LabelCollection
from ._base import Explorer, _measured, _shape, int_slider, single_threaded_blas

__all__ = ["channel_explorer"]

MAX_SHOWN = 3  # output maps drawn; the others are computed and counted, but not drawn
MAX_OUT_CHANNELS = 64
CHANNEL_NAMES = ("R", "G", "B")


def _shape_of(labels):
    """What a layout depends on of a LabelCollection: the shapes of the strings it measures."""
    return tuple(_shape(s) for s in _measured(labels))


def init_weight(out_channels, in_channels, kernel_size, seed=0):
    """Weights and bias drawn like a fresh nn.Conv2d: U(-b, b), b = 1/sqrt(in_channels * k * k).

    Each kernel W[j, c] has its own seed, so adding a channel leaves the other kernels unchanged.
    """
    bound = 1 / np.sqrt(in_channels * kernel_size**2)
    unit = [[_uniform(seed, j, c, kernel_size) for c in range(in_channels)] for j in range(out_channels)]
    bias = np.array([_uniform(seed, j, 99, kernel_size, ()) for j in range(out_channels)])
    return bound * np.array(unit), bound * bias


@functools.lru_cache(maxsize=4096)
def _uniform(seed, j, c, kernel_size, shape=None):
    """U(-1, 1) draws of one kernel (or bias) from its own seed; kept, since a fresh generator costs
    about 30 µs and 64 output channels need 256 of them (read-only: callers copy)."""
    draws = np.random.default_rng([seed, j, c, kernel_size]).uniform(-1, 1, (kernel_size, kernel_size)
                                                                      if shape is None else shape)
    draws.flags.writeable = False
    return draws


class ChannelExplorer(Explorer):
    figsize = (7.0, 6.4)
    row_height = 1.45  # inches per row of maps; the figure grows and shrinks with the rows drawn
    # one layout per number of rows drawn (2, 3 or 4: out_channels 1, 2, 3 and more), made when the
    # explorer is made, so that a learner's first moves do not wait for one
    warm_states = tuple({"out_channels": n} for n in range(1, MAX_SHOWN + 1))
    # Each row is one Axes whose maps are drawn as one image (`plot_panel_row`): a row's maps share
    # its colour scale, and one image per row draws in a fraction of the time of one Axes per map.
    # Where the panels sit, in panel widths, the same in every row so that the columns line up:
    # the per-channel columns 0.1 apart, then the output column, after room for the inputs' colour
    # bar; the shapes' text starts above the output column.
    LEFTS = (0.0, 1.1, 2.2, 3.6)
    INPUT_BAR_AT = 3.25
    OUTPUT_BAR_AT = 4.72
    TEXT_AT = 3.55

    def __init__(self, image, controls):
        self.image = image
        self._rows = None
        self._in_channels = None
        super().__init__(controls)

    def build(self, figure):
        self.axes = figure.subplots(1 + MAX_SHOWN, 1)
        width = self.OUTPUT_BAR_AT + BAR_WIDTH  # every row as wide, so that constrained layout sizes them alike
        self.inputs = plot_panel_row(self.axes[0], self.LEFTS[: len(CHANNEL_NAMES)], list(self.image), cmap="gray",
                                     titles=[f"input channel {name}" for name in CHANNEL_NAMES],
                                     colorbar_at=self.INPUT_BAR_AT, width=width, tick_room=3)
        # one colour scale per output channel: its per-channel correlations and their sum share it
        self.maps = [plot_panel_row(ax, self.LEFTS, cmap=SIGNED_CMAP, colorbar_at=self.OUTPUT_BAR_AT, width=width,
                                    titles=[self._map_title(j, c) for c in range(len(self.LEFTS))])
                     for j, ax in enumerate(self.axes[1:])]
        self.shapes = plot_text_panel(self.axes[0], fontsize=9, monospace=True, at=(self.TEXT_AT, 0.5), coords="data")

    @staticmethod
    def _map_title(j, c):
        """The title of map (j, c): a per-channel correlation, or (last column) output j."""
        if c == len(CHANNEL_NAMES):
            return f"output {j} = sum + b[{j}]"
        return f"{CHANNEL_NAMES[c]} ⋆ W[{j}, {CHANNEL_NAMES[c]}]"

    def layout_key(self):
        """The rows drawn and the labels' shapes: a row's titles stay in it (transparent) when an
        input channel is hidden, so hiding one leaves the others where they are."""
        return (self._rows, tuple(np.round(self.figure.get_size_inches(), 3)),
                *(tuple(_shape_of(artist)) for ax in self.figure.axes if ax.get_in_layout()
                  for artist in ax.get_children() if isinstance(artist, LabelCollection) and artist.get_in_layout()))

    @contextlib.contextmanager
    def layout_context(self):
        hidden = [ax for ax in self.figure.axes if ax.get_in_layout() and not ax.get_visible()]
        for ax in hidden:
            ax.set_visible(True)
        try:
            yield
        finally:
            for ax in hidden:
                ax.set_visible(False)

    def _layout(self, rows):
        """Show `rows` rows (the inputs and the maps drawn) on a figure sized to fit them.

        One gridspec throughout: the rows not shown get a negligible height and leave the layout.
        """
        if rows == self._rows:
            return
        self._rows = rows
        self.figure.set_size_inches(self.figure.get_figwidth(), self.row_height * rows + 0.6)
        self.axes[0].get_gridspec().set_height_ratios([1] * rows + [1e-3] * (len(self.axes) - rows))
        for r, ax in enumerate(self.axes):
            ax.set_in_layout(r < rows)
            ax.set_visible(r < rows)

    def compute(self, in_channels, out_channels, kernel_size, padding):
        x = self.image[:in_channels]
        weight, bias = init_weight(out_channels, in_channels, kernel_size)
        shown = min(out_channels, MAX_SHOWN)
        with single_threaded_blas():
            output = conv2d(x[None], weight, bias, padding=padding)
            # one single-channel correlation per (output, input) pair, which conv2d adds up, plus the
            # bias: all in one grouped convolution, group c correlating input channel c with W[j, c]
            # for every output j drawn (its kernels ordered channel-major)
            kernels = weight[:shown].transpose(1, 0, 2, 3).reshape(in_channels * shown, 1, kernel_size, kernel_size)
            pairs = conv2d(x[None], kernels, padding=padding, groups=in_channels)[0]
        per_channel = pairs.reshape(in_channels, shown, *pairs.shape[1:]).transpose(1, 0, 2, 3)
        return {"input": x[None], "weight": weight, "bias": bias, "output": output, "per_channel": per_channel,
                "input_shape": (1, *x.shape), "weight_shape": weight.shape, "bias_shape": bias.shape,
                "output_shape": output.shape, "num_params": weight.size + bias.size, "shown": shown}

    def draw(self, state):
        out_channels, in_channels, k = state["weight_shape"][:3]
        shown = state["shown"]
        self._layout(1 + shown)
        if in_channels != self._in_channels:  # the inputs' pixels change only with this control
            self._in_channels = in_channels
            self.inputs.set_data([x if c < in_channels else None for c, x in enumerate(self.image)], 0.0, 1.0)
            self.inputs.show_colorbar(in_channels == len(CHANNEL_NAMES))
        for j, row in enumerate(self.maps[:shown]):
            parts, output = state["per_channel"][j], state["output"][0, j]
            bound = max(_robust_bound(np.concatenate([parts.ravel(), output.ravel()])), 1e-12)
            row.set_data([parts[c] if c < in_channels else None for c in range(len(CHANNEL_NAMES))] + [output],
                         -bound, bound)
        lines = [
            f"input  {state['input_shape']}",
            f"weight {state['weight_shape']}",
            f"bias   {state['bias_shape']}",
            f"output {state['output_shape']}",
            f"params {out_channels}·{in_channels}·{k}·{k} + {out_channels}",
            f"       = {state['num_params']:,}",
        ]
        if shown < out_channels:
            lines.append(f"drawn: outputs 0-{shown - 1};\n{out_channels - shown} more computed")
        self.shapes.set_text("\n".join(lines))


def channel_explorer(*, in_channels=3, out_channels=2, kernel_size=3, padding=0, image=None):
    """Multi-channel convolution on an RGB image: per-channel correlations, their sums, and the shapes.

    image: (3, H, W) or (H, W, 3) floats (default: the photograph, averaged down to 3x64x64).
    Weights are random like a fresh nn.Conv2d (fixed seeds). Controls: `in_channels` (1-3, the
    first channels of the image), `out_channels` (1-64: the first MAX_SHOWN are drawn, the others
    computed and counted), `kernel_size` (1-7), `padding` (0-3).
    State: `input_shape`, `weight_shape`, `bias_shape`, `output_shape`, `num_params`, and the arrays
    `input`, `weight`, `bias`, `output`, `per_channel` (for the maps drawn).
    """
    if image is None:
        image = avg_pool2d(photograph_rgb(512).transpose(2, 0, 1), 8)
    image = as_float_array(image, "image")
    check_ndim(image, "image", (3,), "an RGB image (3, H, W) or (H, W, 3)")
    if image.shape[0] != 3 and image.shape[-1] == 3:
        image = image.transpose(2, 0, 1)
    if image.shape[0] != 3:
        raise ValueError(f"image must have 3 channels, as (3, H, W) or (H, W, 3); got shape {image.shape}")
    controls = {
        "in_channels": int_slider("in_channels", in_channels, 1, 3),
        "out_channels": int_slider("out_channels", out_channels, 1, MAX_OUT_CHANNELS),
        "kernel_size": int_slider("kernel_size", kernel_size, 1, 7),
        "padding": int_slider("padding", padding, 0, 3),
    }
    return ChannelExplorer(np.ascontiguousarray(image), controls)
