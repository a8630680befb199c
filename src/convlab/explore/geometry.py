"""Where the windows go: padding, stride and dilation; and how far one output pixel sees."""
import numpy as np

from .. import conv2d, output_size, receptive_field
from ..plotting import plot_grid, plot_layer_sizes, plot_receptive_field, plot_text_panel, plot_title, plot_windows
from ._base import Explorer, choice, int_slider

__all__ = ["padding_stride_explorer", "receptive_field_explorer"]


def _window_tops(n_out, stride, padding):
    """First row (or column) of each window, in input coordinates (padding rows are negative)."""
    return [i * stride - padding for i in range(n_out)]


def _coverage(n, padding, tops, kernel_size, dilation):
    """How many windows read each cell of the padded input (n + 2*padding per side)."""
    size = n + 2 * padding
    per_axis = np.zeros(size, dtype=int)
    for top in tops:
        per_axis[top + padding + dilation * np.arange(kernel_size)] += 1
    return np.outer(per_axis, per_axis)


def _formulas(n, k, p, s, d, out):
    span = d * (k - 1) + 1
    lines = []
    if d > 1:
        lines.append(f"dilated kernel spans k′ = d·(k − 1) + 1 = {d}·({k} − 1) + 1 = {span}")
    kk = "k′" if d > 1 else "k"
    # each formula on two lines: the rule, then the numbers (one line would not fit the figure)
    lines.append(
        f"per-side padding p:  out = ⌊(n + 2p − {kk}) / s⌋ + 1\n"
        f"    = ⌊({n} + 2·{p} − {span}) / {s}⌋ + 1 = ⌊{n + 2 * p - span}/{s}⌋ + 1 = {out}"
    )
    lines.append(
        f"total padding p_h = 2p = {2 * p}:  out = ⌊(n − {kk} + p_h + s) / s⌋\n"
        f"    = ⌊({n} − {span} + {2 * p} + {s}) / {s}⌋ = ⌊{n - span + 2 * p + s}/{s}⌋ = {out}"
    )
    return lines


# each control's range, shared with the website's live explorer (explore/live.py)
PADDING_STRIDE_RANGES = {"input_size": (1, 10), "kernel_size": (1, 7), "padding": (0, 3), "stride": (1, 4),
                         "dilation": (1, 3)}


class PaddingStrideExplorer(Explorer):
    figsize = (7.0, 5.0)

    def build(self, figure):
        grid = figure.add_gridspec(2, 2, height_ratios=[4, 1.3], width_ratios=[1.2, 1])
        self.ax_input = figure.add_subplot(grid[0, 0])
        self.ax_output = figure.add_subplot(grid[0, 1])
        self.ax_text = figure.add_subplot(grid[1, :])
        self.coverage_grid = plot_grid(self.ax_input, np.zeros((1, 1)), cmap="Oranges", fontsize=8)
        self.all_windows = plot_windows(self.ax_input, [], 1, 1, color="tab:blue", linewidth=1.2, alpha=0.6,
                                        show_taps=False, inset=0.16)
        self.first_window = plot_windows(self.ax_input, [], 1, 1, color="tab:red", linewidth=2.5, inset=0.04)
        self.output_grid = plot_grid(self.ax_output, np.zeros((1, 1)), cmap="Greens", fontsize=9)
        self.text = plot_text_panel(self.ax_text)

    def compute(self, input_size, kernel_size, padding, stride, dilation):
        n, k, p, s, d = input_size, kernel_size, padding, stride, dilation
        out = output_size(n, k, stride=s, padding=p, dilation=d)  # raises with the reason if invalid
        tops = _window_tops(out, s, p)
        # each output counts the real (unpadded) input pixels its window reads: padding adds zeros
        counts = conv2d(np.ones((1, n, n)), np.ones((1, 1, k, k)), stride=s, padding=p, dilation=d)[0]
        coverage = _coverage(n, p, tops, k, d)
        return {
            "output_size": out,
            "output_shape": (out, out),
            "padded_size": n + 2 * p,
            "positions": [(r, c) for r in tops for c in tops],
            "coverage": coverage,
            # input columns (rows alike) that no window reads: the stride stepped over them
            "unread": [c for c in range(n) if not coverage[:, p + c].any()],
            "pixels_read": counts,
            "formulas": _formulas(n, k, p, s, d, out),
        }

    def draw(self, state):
        v = self.values()
        n, k, p, d = v["input_size"], v["kernel_size"], v["padding"], v["dilation"]
        coverage = state["coverage"]
        # the black frame is the real input; the cells outside it are padding
        self.coverage_grid.set_data(coverage, origin=(-p, -p), frame=(0, 0, n, n), vmin=0,
                                    vmax=max(coverage.max(), 1) * 1.6)
        self.all_windows.set_positions(state["positions"], k, k, d)
        self.first_window.set_positions(state["positions"][:1], k, k, d)
        unread = len(state["unread"])
        plot_title(self.ax_input, f"input {n}×{n} (black), padded by {p}\n"
                   "blue: every window\nnumber: windows reading the cell", fast=True)
        out = state["output_size"]
        self.output_grid.set_data(state["pixels_read"], view=(n + 2 * p, n + 2 * p))
        plot_title(self.ax_output, f"output {out}×{out}\nnumber: input pixels\nread (not padding)", fast=True)
        note = [f"{unread} input column{'s' if unread > 1 else ''} (and as many rows) never read"] if unread else []
        self.text.set_text("\n".join(state["formulas"] + note))


def padding_stride_explorer(*, input_size=6, kernel_size=3, padding=1, stride=2, dilation=1):
    """Every window position a kernel visits on a padded input, the output grid and the size formula.

    Controls: `input_size` (1-10), `kernel_size` (1-7), `padding` (0-3), `stride` (1-4), `dilation` (1-3).
    State: `output_size` (from convlab.output_size), `positions` (each window's top-left, in input
    coordinates), `coverage` (windows reading each padded cell), `unread` (input columns no window
    reads, likewise rows), `pixels_read` (real pixels per window), `formulas`.
    """
    values = {"input_size": input_size, "kernel_size": kernel_size, "padding": padding, "stride": stride,
              "dilation": dilation}
    controls = {name: int_slider(name, values[name], lo, hi) for name, (lo, hi) in PADDING_STRIDE_RANGES.items()}
    return PaddingStrideExplorer(controls)


# --- receptive fields ----------------------------------------------------------------------

# (kernel_size, stride, padding, dilation) per layer; pooling layers count like convs here.
PRESETS = {
    "two 3×3 convs": [(3, 1, 1, 1)] * 2,
    "three 3×3 convs": [(3, 1, 1, 1)] * 3,
    "VGG-16 blocks 1-2": [(3, 1, 1, 1), (3, 1, 1, 1), (2, 2, 0, 1), (3, 1, 1, 1), (3, 1, 1, 1), (2, 2, 0, 1)],
    "AlexNet conv1-pool2": [(11, 4, 2, 1), (3, 2, 0, 1), (5, 1, 2, 1), (3, 2, 0, 1)],
    "ResNet stem + 2 convs": [(7, 2, 3, 1), (3, 2, 1, 1), (3, 1, 1, 1), (3, 1, 1, 1)],
    "dilated 3×3, d = 1, 2, 4": [(3, 1, 1, 1), (3, 1, 2, 2), (3, 1, 4, 4)],
}

# the custom stack's controls and their ranges, shared with the website's live explorer (explore/live.py)
RECEPTIVE_FIELD_RANGES = {"layers": (1, 8), "kernel_size": (1, 7), "stride": (1, 3), "dilation": (1, 4)}


def nested_taps(layers):
    """Per layer, the input offsets (per axis) read by one unit of that layer, on one shared axis.

    Start from unit 0 of the last layer; each lower layer's unit is the centre tap of the one
    above, so the fields nest. Offsets ignore padding (it shifts every field alike).
    """
    centre = [0] * len(layers)
    unit = 0
    for index in range(len(layers) - 1, -1, -1):
        centre[index] = unit
        k, s, _, d = layers[index]
        unit = unit * s + d * (k // 2)
    taps = []
    for top in range(len(layers)):
        positions = np.array([centre[top]])
        for k, s, _, d in reversed(layers[: top + 1]):
            positions = np.unique((positions[:, None] * s + d * np.arange(k)[None, :]).ravel())
        taps.append(positions)
    return taps


class ReceptiveFieldExplorer(Explorer):
    figsize = (7.0, 3.6)

    def build(self, figure):
        self.ax_map, self.ax_sizes = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.field_map = plot_receptive_field(self.ax_map, [np.array([0])])
        self.layer_sizes = plot_layer_sizes(self.ax_sizes, [1])

    def react(self, name):
        custom = self.controls["preset"].value == "custom"
        for control in ("layers", "kernel_size", "stride", "dilation"):
            self.controls[control].disabled = not custom

    def compute(self, preset, layers, kernel_size, stride, dilation):
        if preset == "custom":
            stack = [(kernel_size, stride, dilation * (kernel_size - 1) // 2, dilation)] * layers
        else:
            stack = PRESETS[preset]
        fields = receptive_field(stack)
        return {"layers": stack, "fields": fields, "sizes": [f.size for f in fields],
                "jumps": [f.stride for f in fields], "taps": nested_taps(stack)}

    def draw(self, state):
        sizes = state["sizes"]
        self.field_map.set_data(state["taps"])
        plot_title(self.ax_map, f"an output pixel of layer {len(sizes)}\nsees {sizes[-1]}×{sizes[-1]} input pixels\n"
                   "(colour: first layer reaching it)", fast=True)
        self.layer_sizes.set_data(sizes)
        jump = state["jumps"][-1]
        plot_title(self.ax_sizes, f"receptive field per layer\n(outputs of layer {len(sizes)} are\n"
                   f"{jump} input pixel{'s' if jump > 1 else ''} apart)", fast=True)


def receptive_field_explorer(*, layers=3, kernel_size=3, stride=1, dilation=1, preset="custom"):
    """The input region one output pixel sees, layer by layer, for a uniform stack or a real one.

    Controls: `preset` ('custom' or a name in PRESETS), and for 'custom': `layers` (1-8),
    `kernel_size` (1-7), `stride` (1-3), `dilation` (1-4).
    State: `sizes` (receptive field per layer, from convlab.receptive_field), `jumps`, `layers`, `taps`.
    """
    values = {"layers": layers, "kernel_size": kernel_size, "stride": stride, "dilation": dilation}
    controls = {
        "preset": choice("preset", preset, ["custom", *PRESETS]),
        **{name: int_slider(name, values[name], lo, hi) for name, (lo, hi) in RECEPTIVE_FIELD_RANGES.items()},
    }
    explorer = ReceptiveFieldExplorer(controls)
    explorer.react("preset")
    return explorer
