"""What convlab.explore.live emits for the website's live explorers (no browser: see test_live_explorers.py)."""
import base64
import io

import numpy as np
import pytest

import convlab
from convlab.explore import live


def test_the_photograph_is_sent_exactly_and_its_grayscale_is_convlabs():
    from PIL import Image

    data = live.live_kernel_on_photo().data
    header, payload = data["photo"].split(",", 1)
    assert header == "data:image/webp;base64"
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB"))
    np.testing.assert_array_equal(rgb / 255.0, convlab.photograph_rgb(512))
    # the page's formula, the weights it is sent: convlab.photograph's grayscale
    gray = (rgb / 255.0) @ np.array(data["luma"])
    np.testing.assert_allclose(gray, convlab.photograph(512), rtol=0, atol=1e-15)
    for name in convlab.KERNEL_NAMES:
        np.testing.assert_array_equal(data["kernels"][name], convlab.kernel(name))


def test_each_seed_starts_where_learn_kernel_starts():
    data = live.live_learn_kernel().data
    X, Y = np.array(data["image"]), np.array(data["target"])
    lo, hi = data["ranges"]["seed"]
    for seed in range(lo, hi + 1):
        K, losses = convlab.learn_kernel(X, Y, (1, 2), lr=0.02, epochs=1, seed=seed)
        start = np.array(data["starts"][seed - lo])
        # one step from the sent start is learn_kernel's first step
        residual = convlab.corr2d(X, start) - Y
        np.testing.assert_allclose(start - 0.02 * 2 * convlab.corr2d(X, residual), K, rtol=1e-12)
        assert losses[0] == pytest.approx(float(np.sum(residual**2)), rel=1e-12)


def test_the_first_states_are_convlabs():
    data = live.live_cross_correlation(row=1, col=0).data
    np.testing.assert_array_equal(data["output"], convlab.corr2d(convlab.manual_lab_image(), convlab.manual_lab_kernel()))
    assert live.live_padding_stride().data["output_size"] == convlab.output_size(6, 3, stride=2, padding=1)
    presets = live.live_receptive_field().data["presets"]
    for name, preset in presets.items():
        assert preset["sizes"] == [f.size for f in convlab.receptive_field([tuple(layer) for layer in preset["layers"]])]


@pytest.mark.parametrize("call, name", [
    (lambda: live.live_padding_stride(stride=9), "stride"),
    (lambda: live.live_padding_stride(input_size=2.5), "input_size"),
    (lambda: live.live_pooling(mode="median"), "mode"),
    (lambda: live.live_receptive_field(preset="LeNet"), "preset"),
    (lambda: live.live_cross_correlation(row=3), "row"),
    (lambda: live.live_kernel_on_photo(kernel="blur"), "kernel"),
    (lambda: live.live_learn_kernel(lr=1.0), "lr"),
])
def test_bad_settings_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_the_data_cannot_end_its_script_element():
    explorer = live.LiveExplorer("pooling", {"note": "</script><script>alert(1)</script>"})
    html = explorer.to_html()
    assert html.count("</script>") == 1 and html.endswith("</script></div>")
    assert live.live_data_of(html) == [("pooling", explorer.data)]
