"""The explorers, headless: state against torch and hand derivations, pixels, errors and recovery."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything can import pyplot

import io
import subprocess
import sys

import ipywidgets as widgets
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib._pylab_helpers import Gcf
from matplotlib.figure import Figure
from PIL import Image as PILImage

import convlab
from convlab import explore

BUILDERS = explore.EXPLORERS


def pixels(explorer):
    """Render the figure on its Agg canvas and return a copy of its RGBA pixels."""
    explorer.figure.canvas.draw()
    return np.asarray(explorer.figure.canvas.buffer_rgba()).copy()


def changed(before, after):
    return before.shape != after.shape or not np.array_equal(before, after)


def t(array):
    return torch.tensor(np.asarray(array), dtype=torch.float64)


def torch_corr(image, kernel, **kwargs):
    """The oracle for a single-channel cross-correlation: torch's conv2d on (1, 1, H, W)."""
    return F.conv2d(t(image)[None, None], t(kernel)[None, None], **kwargs)[0, 0].numpy()


@pytest.fixture(scope="module")
def small_image():
    return np.random.default_rng(0).random((24, 20))


# --- the protocol, for every explorer ---------------------------------------------------------


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_protocol(build):
    explorer = build()
    assert explorer.controls and all(isinstance(c, widgets.ValueWidget) for c in explorer.controls.values())
    assert isinstance(explorer.figure, Figure)
    assert not Gcf.get_all_fig_managers(), "explorers must not create pyplot figures"
    assert explorer.state["error"] is None
    assert explorer.show_static() is explorer.figure
    png, size = explorer.figure._repr_png_()
    assert png.startswith(b"\x89PNG")
    # shown at its size in CSS pixels (96 per inch), with twice the pixels for high-density screens
    assert size == {"width": round(explorer.figure.get_figwidth() * 96),
                    "height": round(explorer.figure.get_figheight() * 96)}
    pixels = PILImage.open(io.BytesIO(png)).size
    assert abs(pixels[0] - 2 * size["width"]) <= 1 and abs(pixels[1] - 2 * size["height"]) <= 1  # rounding
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    image = next(w for w in explorer.widget.children if isinstance(w, widgets.Image))
    assert bytes(image.value).startswith(b"\x89PNG")
    assert all(c in explorer.widget.children[0].children or _nested(explorer.widget, c)
               for c in explorer.controls.values()), "every control is shown beside the figure"


def _nested(box, widget):
    children = getattr(box, "children", ())
    return widget in children or any(_nested(child, widget) for child in children)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_every_control_redraws_the_view(build):
    """Moving any control changes the figure's pixels and the PNG sent to the notebook."""
    explorer = build()
    image = next(w for w in explorer.widget.children if isinstance(w, widgets.Image))
    for name, control in explorer.controls.items():
        if getattr(control, "disabled", False):
            continue
        new = _another_value(control)
        before, png = pixels(explorer), bytes(image.value)
        control.value = new
        assert explorer.state["error"] is None, (name, explorer.state["error"])
        assert changed(before, pixels(explorer)), f"changing {name} left the figure unchanged"
        assert bytes(image.value) != png, f"changing {name} did not refresh the notebook view"


def _another_value(control):
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons)):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return next(v for v in values if v != control.value)
    if isinstance(control, widgets.FloatText):
        return control.value + 1.5
    step = control.step
    return control.value + step if control.value + step <= control.max else control.value - step


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_a_failing_computation_never_raises_out_of_a_callback(build, monkeypatch):
    explorer = build()
    control = next(iter(explorer.controls.values()))

    def broken(**values):
        raise RuntimeError("boom")

    monkeypatch.setattr(explorer, "compute", broken)
    control.value = _another_value(control)  # must not raise
    assert "boom" in explorer.state["error"]
    assert explorer.message.visible
    monkeypatch.undo()
    control.value = _another_value(control)
    assert explorer.state["error"] is None and not explorer.message.visible


def test_initial_values_are_checked_and_named():
    with pytest.raises(ValueError, match="padding"):
        explore.padding_stride_explorer(padding=9)
    with pytest.raises(ValueError, match="mode"):
        explore.pooling_explorer(mode="median")
    with pytest.raises(TypeError):
        explore.padding_stride_explorer(paddin=1)
    explorer = explore.padding_stride_explorer()
    with pytest.raises(ValueError, match="unknown control"):
        explorer.set(paddin=1)


def test_import_convlab_stays_numpy_only_and_plotting_has_no_widgets():
    code = (
        "import sys, convlab; assert 'matplotlib' not in sys.modules and 'ipywidgets' not in sys.modules;"
        "import convlab.plotting; assert 'ipywidgets' not in sys.modules and 'matplotlib.pyplot' not in sys.modules;"
        "import convlab.explore; assert 'matplotlib.pyplot' not in sys.modules and 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- 1. cross-correlation, the manual lab ---------------------------------------------------------


def test_cross_correlation_manual_lab_by_hand():
    explorer = explore.cross_correlation_explorer()
    # out[0, 0]: window [[1, 2], [5, 3]] with kernel [[1, 0], [0, -1]]: 1*1 + 3*(-1) = -2
    assert explorer.state["value"] == -2
    np.testing.assert_array_equal(explorer.state["window"], [[1, 2], [5, 3]])
    before = pixels(explorer)
    explorer.set(row=1, col=0)
    # out[1, 0]: the window is [[5, 3], [2, 1]] (not [1, 2; 4, 5] as one document says): 5 - 1 = 4
    np.testing.assert_array_equal(explorer.state["window"], [[5, 3], [2, 1]])
    assert explorer.state["value"] == 4
    np.testing.assert_array_equal(explorer.state["output"], [[-2, 2, -4], [4, 0, -1], [0, 0, 1]])
    assert changed(before, pixels(explorer))


def test_cross_correlation_against_torch_with_edited_kernel():
    explorer = explore.cross_correlation_explorer()
    explorer.set(k00=2.0, k01=-1.0, k11=0.5, row=2, col=1)
    K = np.array([[2.0, -1.0], [0.0, 0.5]])
    expected = torch_corr(convlab.manual_lab_image(), K)
    np.testing.assert_allclose(explorer.state["output"], expected)
    np.testing.assert_allclose(explorer.state["kernel"], K)
    assert explorer.state["value"] == pytest.approx(expected[2, 1])


def test_cross_correlation_window_cannot_leave_the_image():
    explorer = explore.cross_correlation_explorer()
    explorer.controls["row"].value = 7  # the slider clamps to the last valid row
    assert explorer.state["error"] is None and explorer.state["row"] == 2
    with pytest.raises(ValueError, match="row"):
        explore.cross_correlation_explorer(row=3)


# --- 2. named kernels on an image ---------------------------------------------------------------------


def test_kernel_explorer_default_photograph():
    explorer = explore.kernel_explorer()
    assert explorer.state["output"].shape == (510, 510)  # 512x512 photograph, 3x3 Sobel x
    np.testing.assert_allclose(explorer.state["output"], torch_corr(convlab.photograph(512), convlab.kernel("sobel_x")))


@pytest.mark.parametrize("name", convlab.KERNEL_NAMES)
def test_kernel_explorer_every_named_kernel_against_torch(name, small_image):
    explorer = explore.kernel_explorer(small_image, kernel="identity" if name != "identity" else "sobel_y")
    before = pixels(explorer)
    explorer.controls["kernel"].value = name
    np.testing.assert_allclose(explorer.state["output"], torch_corr(small_image, convlab.kernel(name)), atol=1e-12)
    assert changed(before, pixels(explorer))


def test_kernel_explorer_custom_kernel(small_image):
    explorer = explore.kernel_explorer(small_image, kernel="sharpen")
    # choosing a 3x3 kernel copies its numbers into the custom entries
    assert explorer.controls["k11"].value == 5 and explorer.controls["k01"].value == -1
    explorer.controls["k11"].value = 4.0  # editing a number switches to the custom kernel
    assert explorer.controls["kernel"].value == "custom"
    K = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=float)
    np.testing.assert_allclose(explorer.state["output"], torch_corr(small_image, K), atol=1e-12)
    custom = explore.kernel_explorer(small_image, kernel=np.arange(9.0).reshape(3, 3))
    np.testing.assert_allclose(custom.state["output"], torch_corr(small_image, np.arange(9.0).reshape(3, 3)))
    with pytest.raises(ValueError, match="3x3"):
        explore.kernel_explorer(small_image, kernel=np.ones((2, 2)))


def test_kernel_explorer_kernel_larger_than_image_shows_reason_and_recovers():
    image = np.array([[0.0, 1.0], [2.0, 5.0]])
    explorer = explore.kernel_explorer(image, kernel="gaussian")
    assert "larger than the input" in explorer.state["error"]
    assert explorer.message.visible and "larger than the input" in explorer.message.text.get_text()
    assert "larger than the input" in explorer._note.value
    failed = pixels(explorer)
    explorer.controls["kernel"].value = "edge"  # 1x2 fits in 2x2
    assert explorer.state["error"] is None and not explorer.message.visible
    np.testing.assert_allclose(explorer.state["output"], [[-1.0], [-3.0]])  # by hand: 0-1, 2-5
    assert changed(failed, pixels(explorer))


# --- 3. padding, stride, dilation ------------------------------------------------------------------------


@pytest.mark.parametrize("n, k, p, s, d", [(6, 3, 1, 2, 1), (5, 2, 0, 1, 1), (7, 3, 2, 3, 2), (10, 7, 3, 4, 1),
                                           (4, 1, 0, 4, 1), (9, 3, 1, 1, 3)])
def test_padding_stride_against_torch(n, k, p, s, d):
    explorer = explore.padding_stride_explorer(input_size=n, kernel_size=k, padding=p, stride=s, dilation=d)
    expected = F.conv2d(torch.ones(1, 1, n, n, dtype=torch.float64), torch.ones(1, 1, k, k, dtype=torch.float64),
                        stride=s, padding=p, dilation=d)[0, 0].numpy()
    state = explorer.state
    assert state["output_size"] == expected.shape[0] and state["output_shape"] == expected.shape
    np.testing.assert_allclose(state["pixels_read"], expected)  # real (unpadded) pixels in each window
    assert len(state["positions"]) == expected.size
    # every window reads k*k cells of the padded input: the coverage adds up to that
    assert state["coverage"].sum() == expected.size * k * k
    assert state["coverage"].shape == (n + 2 * p, n + 2 * p)


def test_padding_stride_documents_example_formula():
    explorer = explore.padding_stride_explorer(input_size=6, kernel_size=3, padding=1, stride=2)
    # floor((6 + 2*1 - 3) / 2) + 1 = 3, and with the total padding p_h = 2: floor((6 - 3 + 2 + 2) / 2) = 3
    assert explorer.state["output_size"] == 3
    per_side, total = explorer.state["formulas"]
    assert "(6 + 2·1 − 3) / 2" in per_side and per_side.endswith("⌊5/2⌋ + 1 = 3")
    assert "p_h = 2p = 2" in total and total.endswith("⌊7/2⌋ = 3")
    explorer.set(stride=1)
    assert explorer.state["output_size"] == 6  # the seeds' practice question: stride 1 keeps 6


def test_padding_stride_finds_the_columns_a_stride_steps_over():
    # by hand: n=5, k=2, s=2 gives windows at columns 0-1 and 2-3; column 4 is never read
    explorer = explore.padding_stride_explorer(input_size=5, kernel_size=2, padding=0, stride=2)
    assert explorer.state["output_size"] == 2 and explorer.state["unread"] == [4]
    explorer.set(dilation=2)  # taps 0, 2 and 2, 4: columns 1 and 3 are skipped instead
    assert explorer.state["output_size"] == 2 and explorer.state["unread"] == [1, 3]
    explorer.set(stride=1, dilation=1)
    assert explorer.state["unread"] == []


def test_padding_stride_invalid_then_recovers():
    explorer = explore.padding_stride_explorer(input_size=3, kernel_size=3, padding=0, stride=1)
    good = pixels(explorer)
    explorer.set(kernel_size=7, padding=1)
    assert "larger than the padded input" in explorer.state["error"]
    assert explorer.message.visible
    bad = pixels(explorer)
    assert changed(good, bad)
    explorer.set(padding=2)  # 3 + 2*2 = 7 fits a 7-wide kernel once
    assert explorer.state["error"] is None and explorer.state["output_size"] == 1
    assert not explorer.message.visible and changed(bad, pixels(explorer))


# --- 4. channels -----------------------------------------------------------------------------------------


def test_channel_shapes_of_the_documents_channel_lab():
    explorer = explore.channel_explorer(in_channels=3, out_channels=8, kernel_size=3, padding=1)
    state = explorer.state
    assert state["input_shape"] == (1, 3, 64, 64)
    assert state["weight_shape"] == (8, 3, 3, 3)
    assert state["bias_shape"] == (8,)
    assert state["output_shape"] == (1, 8, 64, 64)
    assert state["num_params"] == 8 * 3 * 3 * 3 + 8  # 224
    conv = torch.nn.Conv2d(3, 8, 3, padding=1)
    assert state["num_params"] == sum(p.numel() for p in conv.parameters())


@pytest.mark.parametrize("cin, cout, k, p", [(3, 2, 3, 0), (1, 4, 5, 2), (2, 1, 1, 0), (3, 5, 7, 3)])
def test_channel_output_against_torch(cin, cout, k, p):
    explorer = explore.channel_explorer(in_channels=cin, out_channels=cout, kernel_size=k, padding=p)
    s = explorer.state
    expected = F.conv2d(t(s["input"]), t(s["weight"]), t(s["bias"]), padding=p).numpy()
    np.testing.assert_allclose(s["output"], expected, atol=1e-12)
    assert s["output_shape"] == expected.shape
    # each drawn output map is the sum of its per-channel correlations plus its bias
    assert len(s["per_channel"]) == min(cout, explore.channels.MAX_SHOWN)
    for j in range(len(s["per_channel"])):
        per = [F.conv2d(t(s["input"][:, c : c + 1]), t(s["weight"][j : j + 1, c : c + 1]), padding=p).numpy()[0, 0]
               for c in range(cin)]
        np.testing.assert_allclose(s["per_channel"][j], per, atol=1e-12)
        np.testing.assert_allclose(np.sum(per, axis=0) + s["bias"][j], expected[0, j], atol=1e-12)


@pytest.mark.parametrize("cout", [16, 64])
def test_channel_explorer_reaches_64_out_channels_drawing_a_few(cout):
    """The material's exercise 4 (out_channels=16) and beyond: every map computed, a few drawn, the rest counted."""
    explorer = explore.channel_explorer(out_channels=1, kernel_size=3, padding=1)
    explorer.set(out_channels=cout)
    s = explorer.state
    assert s["error"] is None and explorer.controls["out_channels"].max >= 64
    assert s["weight_shape"] == (cout, 3, 3, 3) and s["bias_shape"] == (cout,)
    assert s["output_shape"] == (1, cout, 64, 64)
    assert s["num_params"] == sum(p.numel() for p in torch.nn.Conv2d(3, cout, 3).parameters())
    expected = F.conv2d(t(s["input"]), t(s["weight"]), t(s["bias"]), padding=1).numpy()
    np.testing.assert_allclose(s["output"], expected, atol=1e-12)
    shown = explore.channels.MAX_SHOWN
    assert len(s["per_channel"]) == shown
    assert f"{cout - shown} more computed" in explorer.shapes.get_text()


def test_channel_explorer_draws_every_map_in_its_rows_colour_scale():
    """Each row of maps is one image: every map still shows its own values, under its output
    channel's scale (the 99.5th percentile of its magnitudes), a hidden channel's panel blank."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    from convlab.plotting.images import _robust_bound

    explorer = explore.channel_explorer(in_channels=2, out_channels=5, kernel_size=5, padding=1)
    s = explorer.state
    canvas = pixels(explorer)
    for j, row in enumerate(explorer.maps):
        parts, output = s["per_channel"][j], s["output"][0, j]
        bound = _robust_bound(np.concatenate([parts.ravel(), output.ravel()]))
        assert row.image.get_clim() == (-bound, bound)
        assert row.ticks.strings == [f"{v:.3g}".replace("-", "−") for v in (-bound, 0.0, bound)]
        h, w = output.shape
        rows, cols = np.mgrid[0:h, 0:w]
        for c, fmap in [(0, parts[0]), (1, parts[1]), (2, None), (3, output)]:
            left = row.panel_span(c)[0]
            points = row.ax.transData.transform(np.c_[left + (cols.ravel() + 0.5) / w, (rows.ravel() + 0.5) / h])
            drawn = canvas[(canvas.shape[0] - points[:, 1]).astype(int), points[:, 0].astype(int), :3]
            if fmap is None:
                assert (drawn == 255).all(), f"row {j}: the hidden channel's panel is not blank"
                continue
            expected = colormaps["RdBu_r"](Normalize(-bound, bound)(fmap.ravel()), bytes=True)[:, :3]
            np.testing.assert_array_equal(drawn, expected, err_msg=f"row {j}, panel {c}")


def test_channel_weights_keep_their_values_when_channels_are_added():
    explorer = explore.channel_explorer(out_channels=2)
    first = explorer.state["weight"].copy()
    explorer.set(out_channels=3)
    np.testing.assert_array_equal(explorer.state["weight"][:2], first)


def test_channel_invalid_then_recovers():
    tiny = np.random.default_rng(1).random((3, 4, 4))
    explorer = explore.channel_explorer(image=tiny, kernel_size=3)
    assert explorer.state["output_shape"] == (1, 2, 2, 2)
    explorer.set(kernel_size=6)
    assert "larger than the padded input" in explorer.state["error"] and explorer.message.visible
    explorer.set(padding=1)  # 4 + 2 = 6
    assert explorer.state["error"] is None and explorer.state["output_shape"] == (1, 2, 1, 1)


# --- 5. receptive fields -------------------------------------------------------------------------------


def torch_receptive_support(stack):
    """Which input positions (along one axis) one central output pixel depends on, by autograd."""
    fields = convlab.receptive_field(stack)
    n = 2 * fields[-1].size + 4 * fields[-1].stride + 8
    x = torch.ones(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s, p, d in stack:
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, padding=p, dilation=d)
    centre = y.shape[-1] // 2
    y[0, 0, centre, centre].backward()
    rows = np.nonzero(x.grad[0, 0].abs().sum(dim=1).numpy())[0]
    assert rows.min() > 0 and rows.max() < n - 1, "the field must not touch the border"
    return rows - rows.min()


@pytest.mark.parametrize("preset, expected", [
    ("two 3×3 convs", [3, 5]),
    ("three 3×3 convs", [3, 5, 7]),
    ("VGG-16 blocks 1-2", [3, 5, 6, 10, 14, 16]),
    ("AlexNet conv1-pool2", [11, 19, 51, 67]),
    ("ResNet stem + 2 convs", [7, 11, 19, 27]),
    ("dilated 3×3, d = 1, 2, 4", [3, 7, 15]),
])
def test_receptive_field_presets_published_values(preset, expected):
    explorer = explore.receptive_field_explorer(preset=preset)
    assert explorer.state["sizes"] == expected
    support = torch_receptive_support(explorer.state["layers"])
    assert support.max() + 1 == expected[-1]
    np.testing.assert_array_equal(explorer.state["taps"][-1] - explorer.state["taps"][-1].min(), support)
    assert explorer.controls["kernel_size"].disabled  # presets ignore the sliders


@pytest.mark.parametrize("layers, k, s, d", [(1, 3, 1, 2), (2, 3, 1, 2), (3, 3, 2, 1), (2, 5, 3, 3), (4, 2, 2, 1)])
def test_receptive_field_custom_against_torch(layers, k, s, d):
    explorer = explore.receptive_field_explorer(layers=layers, kernel_size=k, stride=s, dilation=d)
    stack = explorer.state["layers"]
    assert len(stack) == layers and not explorer.controls["kernel_size"].disabled
    # one layer: k_eff = d(k-1)+1; then each layer adds (k_eff - 1) * (product of earlier strides)
    expected = [1 + sum(d * (k - 1) * s**i for i in range(n + 1)) for n in range(layers)]
    assert explorer.state["sizes"] == expected
    support = torch_receptive_support(stack)  # holes of a dilated kernel included
    np.testing.assert_array_equal(explorer.state["taps"][-1] - explorer.state["taps"][-1].min(), support)


def test_receptive_field_huge_stack_draws_outlines_only():
    explorer = explore.receptive_field_explorer(layers=8, kernel_size=7, stride=3, dilation=4)
    assert explorer.state["error"] is None and explorer.state["sizes"][-1] == 1 + 24 * (3**8 - 1) // 2
    assert not explorer.field_map.image.get_visible()
    before = pixels(explorer)
    explorer.set(preset="three 3×3 convs")
    assert explorer.field_map.image.get_visible() and changed(before, pixels(explorer))


# --- 6. pooling --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (4, 3, 2), (1, 1, 0), (2, 1, 1)])
def test_pooling_against_torch(k, s, p):
    explorer = explore.pooling_explorer(mode="max", kernel_size=k, stride=s, padding=p)
    x = t(explore.pooling.default_pool_image())[None, None]
    out, indices = F.max_pool2d(x, k, s, p, return_indices=True)
    np.testing.assert_allclose(explorer.state["output"], out[0, 0].numpy())
    winners = explorer.state["winners"]
    np.testing.assert_array_equal(winners[..., 0] * 6 + winners[..., 1], indices[0, 0].numpy())
    explorer.set(mode="avg")
    np.testing.assert_allclose(explorer.state["output"], F.avg_pool2d(x, k, s, p)[0, 0].numpy())
    assert explorer.state["winners"] is None


def test_pooling_ties_go_to_the_first_maximum_like_torch():
    image = np.array([[1, 3, 3, 0], [3, 2, 0, 3], [5, 5, 1, 1], [5, 0, 1, 1]], dtype=float)
    explorer = explore.pooling_explorer(image=image, kernel_size=2, stride=2)
    _, indices = F.max_pool2d(t(image)[None, None], 2, 2, return_indices=True)
    winners = explorer.state["winners"]
    np.testing.assert_array_equal(winners[..., 0] * 4 + winners[..., 1], indices[0, 0].numpy())


def test_pooling_invalid_padding_then_recovers():
    explorer = explore.pooling_explorer(kernel_size=3, stride=1, padding=1)
    good = pixels(explorer)
    explorer.set(padding=2)
    assert "padding" in explorer.state["error"] and "kernel_size // 2" in explorer.state["error"]
    assert explorer.message.visible and changed(good, pixels(explorer))
    explorer.set(kernel_size=4)  # 2 <= 4 // 2
    assert explorer.state["error"] is None and explorer.state["output"].shape == (7, 7)  # (6 + 4 - 4) / 1 + 1


# --- 7. learning the kernel -------------------------------------------------------------------------------


def torch_gradient_descent(K0, lr, epochs):
    X = t(convlab.stripes_image())[None, None]
    Y = F.conv2d(X, t([[1.0, -1.0]])[None, None])
    K = t(K0)[None, None].requires_grad_(True)
    losses = []
    for _ in range(epochs):
        loss = ((F.conv2d(X, K) - Y) ** 2).sum()
        losses.append(loss.item())
        (grad,) = torch.autograd.grad(loss, K)
        K = (K - lr * grad).detach().requires_grad_(True)
    return K.detach()[0, 0].numpy(), np.array(losses)


@pytest.mark.parametrize("lr, epochs, seed", [(0.03, 10, 0), (0.01, 25, 3), (0.05, 8, 1)])
def test_learn_kernel_against_torch_autograd(lr, epochs, seed):
    explorer = explore.learn_kernel_explorer(lr=lr, epochs=0, seed=seed)
    K0 = explorer.state["kernel"].copy()  # no epoch: the random starting kernel
    assert explorer.state["losses"].size == 0
    explorer.set(epochs=epochs)
    K, losses = torch_gradient_descent(K0, lr, epochs)
    np.testing.assert_allclose(explorer.state["kernel"], K, rtol=1e-10)
    np.testing.assert_allclose(explorer.state["losses"], losses, rtol=1e-10)


def test_learn_kernel_converges_to_the_edge_kernel_and_knows_its_step_limit():
    explorer = explore.learn_kernel_explorer(lr=0.03, epochs=60)
    np.testing.assert_allclose(explorer.state["kernel"], [[1.0, -1.0]], atol=1e-4)
    assert not explorer.state["diverging"]
    # by hand: the Hessian 2*sum(w w^T) over the 42 windows is [[36, 24], [24, 36]], largest eigenvalue 60
    assert explorer.state["lr_limit"] == pytest.approx(2 / 60)
    before = pixels(explorer)
    explorer.set(lr=0.05)  # above 2/60: every step overshoots further (no warning may escape)
    assert explorer.state["error"] is None and explorer.state["diverging"]
    assert explorer.state["losses"][-1] > explorer.state["losses"][0]
    assert changed(before, pixels(explorer))


# --- in a real kernel: what a chapter cell shows ---------------------------------------------------------


@pytest.mark.parametrize("preamble", ["", "import matplotlib.pyplot as plt\n"], ids=["plain", "with_pyplot"])
def test_notebook_outputs_show_static_once_and_widget_live(preamble):
    """A cell ending in show_static() shows one PNG (with or without pyplot's inline backend active)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(preamble + "from convlab.explore import padding_stride_explorer\n"
                                  "explorer = padding_stride_explorer(stride=1)\nexplorer.show_static()"),
        nbformat.v4.new_code_cell("explorer"),
        nbformat.v4.new_code_cell("explorer.controls['stride'].value = 2\nexplorer.state['output_size']"),
    ]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    static, live, state = (cell.outputs for cell in nb.cells)
    assert [o.output_type for o in static] == ["execute_result"] and "image/png" in static[0].data
    assert "application/vnd.jupyter.widget-view+json" in live[0].data
    assert state[0].data["text/plain"] == "3"
    assert not [o for cell in nb.cells for o in cell.outputs if o.output_type == "stream"]


@pytest.mark.parametrize("alpha", [255, 128])
def test_the_views_png_holds_the_canvas_pixels_exactly(alpha):
    """encode_png writes an opaque canvas as RGB and any other as RGBA: either way the same pixels."""
    from convlab.explore._png import encode_png

    rgba = np.random.default_rng(1).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    rgba[..., 3] = alpha
    rgba[5, 7, 3] = 255  # one opaque pixel does not make the canvas opaque
    png = PILImage.open(io.BytesIO(encode_png(rgba)))
    assert png.mode == ("RGB" if alpha == 255 else "RGBA")
    assert np.array_equal(np.asarray(png.convert("RGBA")), rgba)


def test_a_reason_is_wrapped_where_matplotlib_would_wrap_it():
    explorer = explore.pooling_explorer()
    explorer.set(kernel_size=1, padding=2)  # invalid: the reason fills more than a line
    text = explorer.message.text
    shown = text.get_text()
    assert "\n" in shown and shown.replace("\n", " ") == explorer.state["error"]
    text.set_wrap(True)
    text.set_text(explorer.state["error"])
    explorer.figure.canvas.draw()
    assert shown == text._get_wrapped_text()


def test_channel_explorer_convolves_on_one_blas_thread_and_gives_the_threads_back(monkeypatch):
    """Its small products on one BLAS thread (explore._base.single_threaded_blas), the count restored."""
    from threadpoolctl import ThreadpoolController

    import convlab.explore.channels as channels
    controller = ThreadpoolController()
    if not controller.select(user_api="blas"):
        pytest.skip("threadpoolctl finds no BLAS library in this process")
    seen = []

    def recording_conv2d(*args, **kwargs):
        seen.append({lib.num_threads for lib in ThreadpoolController().select(user_api="blas").lib_controllers})
        return convlab.conv2d(*args, **kwargs)

    monkeypatch.setattr(channels, "conv2d", recording_conv2d)
    with controller.limit(limits=2, user_api="blas"):  # as on a machine with two cores, whatever this one has
        explorer = explore.channel_explorer()
        explorer.set(out_channels=8)
        assert seen and all(threads == {1} for threads in seen), seen
        assert {lib.num_threads for lib in ThreadpoolController().select(user_api="blas").lib_controllers} == {2}
