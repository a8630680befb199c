"""Cross-correlation step by step (the manual lab), and named kernels on a photograph."""
import ipywidgets as widgets
import numpy as np

from .. import corr2d, kernel as named_kernel, manual_lab_image, manual_lab_kernel, photograph
from .._checks import as_float_array, check_ndim
from ..plotting import plot_feature_map, plot_grid, plot_image, plot_title
from ._base import Explorer, choice, int_slider

__all__ = ["cross_correlation_explorer", "kernel_explorer"]


def _entry_name(i, j):
    return f"k{i}{j}"


def _entries(K):
    """One FloatText per kernel entry, named k{row}{col}."""
    return {
        _entry_name(i, j): widgets.FloatText(value=float(K[i, j]), description=f"K[{i},{j}]",
                                             layout=widgets.Layout(width="118px"),
                                             style={"description_width": "45px"})
        for i in range(K.shape[0]) for j in range(K.shape[1])
    }


def _kernel_from(values, shape):
    return np.array([[values[_entry_name(i, j)] for j in range(shape[1])] for i in range(shape[0])], dtype=np.float64)


def _entry_grid(entries, shape):
    return widgets.GridBox(list(entries.values()),
                           layout=widgets.Layout(grid_template_columns=" ".join(["auto"] * shape[1])))


class CrossCorrelationExplorer(Explorer):
    figsize = (7.0, 2.7)

    def __init__(self, image, K, row, col):
        self.image = image
        self.kernel_shape = K.shape
        out_shape = corr2d(image, K).shape  # raises for a kernel larger than the image
        controls = {
            "row": int_slider("row", row, 0, out_shape[0] - 1),
            "col": int_slider("col", col, 0, out_shape[1] - 1),
            **_entries(K),
        }
        super().__init__(controls)

    def build(self, figure):
        (kh, kw), (h, w) = self.kernel_shape, self.image.shape
        self.view_kernel = (h, kw + 1)  # every grid shows h rows, so all cells have one size
        axes = figure.subplots(1, 4, gridspec_kw={"width_ratios": [w, kw + 1, kw + 1, w - kw + 1]})
        self.ax_input, self.ax_kernel, self.ax_products, self.ax_output = axes
        self.input_grid = plot_grid(self.ax_input, self.image, indices=True)
        self.kernel_grid = plot_grid(self.ax_kernel, np.zeros(self.kernel_shape), cmap="RdBu_r")
        self.products_grid = plot_grid(self.ax_products, np.zeros(self.kernel_shape), cmap="RdBu_r")
        self.output_grid = plot_grid(self.ax_output, np.zeros((h - kh + 1, w - kw + 1)), cmap="RdBu_r", indices=True)
        plot_title(self.ax_input, "input X", fontsize=10, fast=True)
        plot_title(self.ax_kernel, "kernel K", fontsize=10, fast=True)

    def compute(self, row, col, **entries):
        K = _kernel_from(entries, self.kernel_shape)
        kh, kw = K.shape
        window = self.image[row : row + kh, col : col + kw].copy()
        return {"row": row, "col": col, "window": window, "kernel": K,
                "products": window * K, "value": float(np.sum(window * K)), "output": corr2d(self.image, K)}

    def draw(self, state):
        row, col, K, out = state["row"], state["col"], state["kernel"], state["output"]
        kh, kw = K.shape
        self.input_grid.set_data(self.image, highlight=(row, col, kh, kw))
        bound = np.abs(K).max() or 1.0
        self.kernel_grid.set_data(K, vmin=-bound, vmax=bound, view=self.view_kernel)
        bound = np.abs(state["products"]).max() or 1.0
        self.products_grid.set_data(state["products"], vmin=-bound, vmax=bound, view=self.view_kernel)
        # the output fills in reading order, as the window slides: later cells are still empty
        partial = out.copy()
        partial.flat[row * out.shape[1] + col + 1 :] = np.nan
        bound = np.abs(out).max() or 1.0
        self.output_grid.set_data(partial, highlight=(row, col, 1, 1), vmin=-bound, vmax=bound,
                                  view=(self.image.shape[0], out.shape[1]))
        plot_title(self.ax_input, f"input X, window at ({row}, {col})", fontsize=10, fast=True)
        plot_title(self.ax_products, f"window × K\nsum = {state['value']:g}", fontsize=10, fast=True)
        plot_title(self.ax_output, f"output Y = X ⋆ K\nY[{row}, {col}] = {state['value']:g}", fontsize=10,
                   fast=True)

    def control_widgets(self):
        entries = {n: c for n, c in self.controls.items() if n not in ("row", "col")}
        return [self.controls["row"], self.controls["col"], widgets.HTML("<b>kernel entries</b>"),
                _entry_grid(entries, self.kernel_shape)]


def lab_inputs(image=None, kernel=None):
    """(image, kernel) for the cross-correlation window, checked: the manual lab (4x4 and 2x2) by
    default, else a 2-D image small enough to read its numbers (at most 12x12) and a 2-D kernel."""
    image = as_float_array(manual_lab_image() if image is None else image, "image")
    K = as_float_array(manual_lab_kernel() if kernel is None else kernel, "kernel")
    check_ndim(image, "image", (2,), "a small 2-D array (H, W)")
    check_ndim(K, "kernel", (2,), "a 2-D kernel (kh, kw)")
    if image.size > 144:
        raise ValueError(f"image is meant to be small enough to read its numbers (at most 12x12), got {image.shape}")
    return image, K


def cross_correlation_explorer(*, image=None, kernel=None, row=0, col=0):
    """Slide a kernel over a small image one position at a time (default: the manual lab, 4x4 and 2x2).

    Controls: `row`, `col` (the window's top-left corner) and one `k{i}{j}` per kernel entry.
    State: `window`, `kernel`, `products`, `value` (= output[row, col]) and `output` (the whole map).
    """
    image, K = lab_inputs(image, kernel)
    return CrossCorrelationExplorer(image, K, row, col)


_KERNEL_LABELS = {
    "identity": "identity",
    "box_blur": "box blur",
    "gaussian": "Gaussian blur",
    "sharpen": "sharpen",
    "sobel_x": "Sobel x (vertical edges)",
    "sobel_y": "Sobel y (horizontal edges)",
    "laplacian": "Laplacian",
    "edge": "[1, -1] edge",
    "custom": "custom 3×3 (below)",
}
# the kernel's title, always two lines so that changing the kernel never changes the layout
_KERNEL_TITLES = {
    "identity": "kernel:\nidentity",
    "box_blur": "kernel:\nbox blur",
    "gaussian": "kernel:\nGaussian blur",
    "sharpen": "kernel:\nsharpen",
    "sobel_x": "Sobel x kernel\n(vertical edges)",
    "sobel_y": "Sobel y kernel\n(horizontal edges)",
    "laplacian": "kernel:\nLaplacian",
    "edge": "kernel:\n[1, −1] edge",
    "custom": "kernel:\ncustom 3×3",
}
_WIDEST_KERNEL_TITLE = max(_KERNEL_TITLES.values(), key=lambda t: max(map(len, t.split("\n"))))


class KernelExplorer(Explorer):
    figsize = (7.0, 2.9)

    def __init__(self, image, kernel, custom):
        self.image = image
        self._syncing = False
        options = [(label, name) for name, label in _KERNEL_LABELS.items()]
        controls = {"kernel": choice("kernel", kernel, options), **_entries(custom)}
        super().__init__(controls)

    def build(self, figure):
        self.ax_image, self.ax_kernel, self.ax_map = figure.subplots(1, 3, gridspec_kw={"width_ratios": [3, 1.6, 3]})
        h, w = self.image.shape
        plot_image(self.ax_image, self.image, title=f"input image\n({h}×{w})", fast_text=True)
        self.kernel_grid = plot_grid(self.ax_kernel, np.zeros((3, 3)), cmap="RdBu_r", fmt="{:.3g}", fontsize=9)
        self.feature_map = plot_feature_map(self.ax_map, np.zeros((2, 2)), fast_text=True, colorbar=True)

    def react(self, name):
        if self._syncing:
            return
        self._syncing = True
        try:
            choice_ = self.controls["kernel"].value
            if name == "kernel" and choice_ != "custom":
                K = named_kernel(choice_)
                if K.shape == (3, 3):  # show the chosen kernel's numbers, ready to be edited
                    for (i, j), v in np.ndenumerate(K):
                        self.controls[_entry_name(i, j)].value = float(v)
            elif name != "kernel" and choice_ != "custom":
                self.controls["kernel"].value = "custom"  # editing a number makes the kernel custom
        finally:
            self._syncing = False

    def compute(self, kernel, **entries):
        K = _kernel_from(entries, (3, 3)) if kernel == "custom" else named_kernel(kernel)
        return {"kernel": K, "output": corr2d(self.image, K)}

    def draw(self, state):
        K, out = state["kernel"], state["output"]
        bound = np.abs(K).max() or 1.0
        self.kernel_grid.set_data(K, vmin=-bound, vmax=bound)
        title = plot_title(self.ax_kernel, _KERNEL_TITLES[self.controls["kernel"].value], fontsize=9, fast=True)
        # laid out for the widest kernel title, so that choosing another kernel never moves the axes
        title.collection.layout_stand_in = lambda _: _WIDEST_KERNEL_TITLE
        # kernels whose entries sum to 0 answer "how much does it change here?": signed, centred on 0
        signed = abs(K.sum()) < 1e-9
        self.feature_map.set_data(out, diverging=signed,
                                  title=f"feature map X ⋆ K\n({out.shape[0]}×{out.shape[1]})")

    def control_widgets(self):
        entries = {n: c for n, c in self.controls.items() if n != "kernel"}
        return [self.controls["kernel"], widgets.HTML("<b>custom kernel</b> (edit a number to use it)"),
                _entry_grid(entries, (3, 3))]


def kernel_explorer(image=None, *, kernel="sobel_x"):
    """Apply a named or custom kernel to a grayscale image and compare input and feature map.

    image: any 2-D array (default: a 512x512 crop of the photograph shipped with matplotlib).
    kernel: a name from `convlab.KERNEL_NAMES`, 'custom', or a 3x3 array (then custom).
    Controls: `kernel` (dropdown) and `k00` .. `k22` (the custom kernel's entries).
    State: `kernel` (the array used) and `output` (the valid cross-correlation).
    """
    image = as_float_array(photograph(512) if image is None else image, "image")
    check_ndim(image, "image", (2,), "a grayscale image (H, W)")
    if isinstance(kernel, str):
        custom = named_kernel(kernel) if kernel != "custom" else named_kernel("identity")
        if custom.shape != (3, 3):
            custom = named_kernel("identity")
    else:
        custom = as_float_array(kernel, "kernel")
        if custom.shape != (3, 3):
            raise ValueError(f"a custom kernel must be 3x3, got shape {custom.shape}")
        kernel = "custom"
    return KernelExplorer(image, kernel, custom)
