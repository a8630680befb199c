"""The explorers in the website: what each live explorer starts from, emitted by convlab at build time.

A chapter's cell ends in one of these builders; its output is a small HTML bundle, a hidden
container holding the explorer's data as JSON. The site's script (book/_static/convlab-live.js,
added only to pages that hold such a container, by tools/book_extension.py) builds the controls
and recomputes in the page: JavaScript numbers are float64, and its formulas are convlab's
(`corr2d`, `output_size`, `max_pool2d`/`avg_pool2d`, `receptive_field`, `photograph`'s grayscale).
What it computes *on* (images, kernels, presets, the controls' ranges, the colour maps) comes from here, so the data has one truth,
and the browser tests compare the page's numbers with convlab's over many settings.

Without JavaScript (print, readers who switch it off) the container stays hidden and the
chapter's static figure is what they see. In JupyterLab the bundle shows nothing (its container is
hidden); the ipywidgets explorer is the live one there.
"""
import html
import json
import re

import numpy as np

from .. import KERNEL_NAMES, corr2d, kernel as named_kernel, output_size
from .. import learn_kernel, photograph_rgb, receptive_field, stripes_image
from .._checks import as_float_array, check_ndim
from ..images import LUMA_WEIGHTS
from ..plotting.images import MAGNITUDE_CMAP, SIGNED_CMAP
from ._base import _check_range
from .correlation import lab_inputs
from .geometry import PADDING_STRIDE_RANGES, PRESETS, RECEPTIVE_FIELD_RANGES
from .learning import LEARN_LR_RANGE, LEARN_RANGES, stable_lr_limit
from .pooling import POOLING_MODES, POOLING_RANGES, default_pool_image

__all__ = ["LiveExplorer", "live_cross_correlation", "live_padding_stride", "live_pooling",
           "live_receptive_field", "live_kernel_on_photo", "live_learn_kernel"]

CONTAINER_CLASS = "convlab-live"  # what the page script and the book extension look for
KINDS = ("cross_correlation", "padding_stride", "pooling", "receptive_field", "kernel_on_photo", "learn_kernel")


class LiveExplorer:
    """One live explorer's kind and data; shown in a notebook, it is the HTML the site's script reads."""

    def __init__(self, kind, data):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.data = data

    def to_json(self):
        # allow_nan=False: the page parses JSON, which has no NaN or infinity
        return json.dumps(self.data, allow_nan=False, separators=(",", ":"))

    def to_html(self):
        # "</" is escaped so that no data can end the script element early
        payload = self.to_json().replace("</", "<\\/")
        return (f'<div class="{CONTAINER_CLASS}" data-kind="{html.escape(self.kind)}" hidden>'
                f'<script type="application/json">{payload}</script></div>')

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.to_html(),
                "text/plain": f"<live {self.kind} explorer: it runs in the website's page>"}

    def __repr__(self):
        return f"<LiveExplorer {self.kind}>"


def _int_in(name, value, bounds):
    lo, hi = bounds
    _check_range(name, value, lo, hi)
    if int(value) != value:
        raise ValueError(f"{name} must be an int, got {value!r}")
    return int(value)


def _grid(array):
    return [[float(v) for v in row] for row in array]


def live_cross_correlation(*, image=None, kernel=None, row=0, col=0):
    """The cross-correlation window on the page (default: the manual lab, 4x4 and 2x2).

    The page steps the window over the image, edits the kernel's entries and writes each output's
    products and sum; `output` is convlab's corr2d of the initial kernel (the page's first state).
    """
    image, K = lab_inputs(image, kernel)
    out = corr2d(image, K)  # raises for a kernel larger than the image
    row = _int_in("row", row, (0, out.shape[0] - 1))
    col = _int_in("col", col, (0, out.shape[1] - 1))
    return LiveExplorer("cross_correlation", {"image": _grid(image), "kernel": _grid(K), "row": row, "col": col,
                                              "output": _grid(out)})


def live_padding_stride(*, input_size=6, kernel_size=3, padding=1, stride=2, dilation=1):
    """Padding, stride and dilation on the page: the windows, the output's shape and the PyTorch call."""
    values = {"input_size": input_size, "kernel_size": kernel_size, "padding": padding, "stride": stride,
              "dilation": dilation}
    values = {name: _int_in(name, values[name], bounds) for name, bounds in PADDING_STRIDE_RANGES.items()}
    out = output_size(values["input_size"], values["kernel_size"], stride=values["stride"],
                      padding=values["padding"], dilation=values["dilation"])
    return LiveExplorer("padding_stride", {"values": values, "ranges": PADDING_STRIDE_RANGES, "output_size": out})


def live_pooling(*, mode="max", kernel_size=2, stride=2, padding=0, image=None):
    """Max or average pooling on the page, on a small grid (default: the numbers 1..36 shuffled, 6x6)."""
    image = as_float_array(default_pool_image() if image is None else image, "image")
    check_ndim(image, "image", (2,), "a small 2-D array (H, W)")
    if image.size > 144:
        raise ValueError(f"image is meant to be small enough to read its numbers (at most 12x12), got {image.shape}")
    if mode not in POOLING_MODES:
        raise ValueError(f"mode must be one of {POOLING_MODES}, got {mode!r}")
    values = {"kernel_size": kernel_size, "stride": stride, "padding": padding}
    values = {name: _int_in(name, values[name], bounds) for name, bounds in POOLING_RANGES.items()}
    return LiveExplorer("pooling", {"image": _grid(image), "mode": mode, "modes": list(POOLING_MODES),
                                    "values": values, "ranges": POOLING_RANGES})


def live_receptive_field(*, preset="custom", layers=3, kernel_size=3, stride=1, dilation=1):
    """Receptive fields on the page: a uniform stack of your own, or one of the real stacks in PRESETS."""
    if preset != "custom" and preset not in PRESETS:
        raise ValueError(f"preset must be 'custom' or one of {list(PRESETS)}, got {preset!r}")
    values = {"layers": layers, "kernel_size": kernel_size, "stride": stride, "dilation": dilation}
    values = {name: _int_in(name, values[name], bounds) for name, bounds in RECEPTIVE_FIELD_RANGES.items()}
    # each preset's layers and convlab's receptive field of each, for the page's first state and its tests
    presets = {name: {"layers": [list(layer) for layer in stack],
                      "sizes": [field.size for field in receptive_field(stack)]}
               for name, stack in PRESETS.items()}
    return LiveExplorer("receptive_field", {"preset": preset, "presets": presets, "values": values,
                                            "ranges": RECEPTIVE_FIELD_RANGES})


def _colormap_hex(name):
    """A matplotlib colour map as 256 RGB bytes in hex, so that the page colours maps as the figures do."""
    from matplotlib import colormaps

    rgb = np.round(colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    return rgb.tobytes().hex()


def _lossless_image(rgb):
    """An (H, W, 3) uint8 image as a data URI of a lossless WebP (a third smaller than a PNG)."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, "WEBP", lossless=True, quality=50, method=2)  # lossless; effort: 1 s
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def live_kernel_on_photo(*, kernel="sobel_x", size=512, row=None, col=None):
    """A named or custom 3x3 kernel on the photograph, in the page: the feature map and a probe.

    The photograph is sent as its 8-bit RGB pixels (lossless), which is what convlab reads from
    matplotlib's sample JPEG; the page computes convlab.photograph's grayscale from them with the
    same weights (LUMA_WEIGHTS), then corr2d, in float64.
    """
    if kernel != "custom" and kernel not in KERNEL_NAMES:
        raise ValueError(f"kernel must be 'custom' or one of {KERNEL_NAMES}, got {kernel!r}")
    rgb8 = np.round(photograph_rgb(size) * 255).astype(np.uint8)
    if not np.array_equal(rgb8 / 255.0, photograph_rgb(size)):
        raise ValueError("the photograph is not 8-bit: its pixels cannot be sent exactly")
    custom = named_kernel(kernel) if kernel != "custom" else named_kernel("identity")
    if custom.shape != (3, 3):
        custom = named_kernel("identity")
    row = _int_in("row", size // 2 - 60 if row is None else row, (0, size - 3))
    col = _int_in("col", size // 2 if col is None else col, (0, size - 3))
    return LiveExplorer("kernel_on_photo", {
        "photo": _lossless_image(rgb8), "luma": list(LUMA_WEIGHTS),
        "kernels": {name: _grid(named_kernel(name)) for name in KERNEL_NAMES},
        "kernel": kernel, "custom": _grid(custom), "row": row, "col": col,
        "colormaps": {"signed": _colormap_hex(SIGNED_CMAP), "magnitude": _colormap_hex(MAGNITUDE_CMAP)}})



def live_learn_kernel(*, lr=0.03, epochs=10, seed=0):
    """Gradient descent learning the [1, -1] edge kernel from the stripes image, in the page.

    The page runs convlab.learn_kernel's loop (loss, then K -= lr * 2 * corr2d(X, residual)); the
    one thing it cannot draw itself is numpy's random starting kernel, so each seed's is sent.
    """
    lo, hi, step = LEARN_LR_RANGE
    _check_range("lr", lr, lo, hi)
    epochs = _int_in("epochs", epochs, LEARN_RANGES["epochs"])
    seed = _int_in("seed", seed, LEARN_RANGES["seed"])
    X = stripes_image()
    target = named_kernel("edge")
    Y = corr2d(X, target)
    first, last = LEARN_RANGES["seed"]
    # learn_kernel's starting kernel is its result after 0 epochs
    starts = [_grid(learn_kernel(X, Y, target.shape, epochs=0, seed=s)[0]) for s in range(first, last + 1)]
    return LiveExplorer("learn_kernel", {
        "image": _grid(X), "target": _grid(Y), "target_kernel": _grid(target), "starts": starts,
        "values": {"lr": float(lr), "epochs": epochs, "seed": seed},
        "lr_range": list(LEARN_LR_RANGE), "ranges": LEARN_RANGES,
        "lr_limit": float(stable_lr_limit(X, target.shape))})

def live_data_of(html_text):
    """The kind and data of every live explorer in an HTML text (a page, or an output): for tests."""
    found = re.finditer(rf'<div class="{CONTAINER_CLASS}" data-kind="([a-z_]+)" hidden>'
                        r'<script type="application/json">(.*?)</script></div>', html_text, flags=re.S)
    return [(m.group(1), json.loads(m.group(2).replace("<\\/", "</"))) for m in found]

