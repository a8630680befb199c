"""The package's promises: numpy-only import, sample images, named kernels."""
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convlab


def test_import_is_numpy_only():
    code = "import sys, convlab; print(sorted(m for m in ('torch', 'matplotlib', 'ipywidgets', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_photograph_is_a_real_grayscale_image():
    photo = convlab.photograph()
    assert photo.ndim == 2 and photo.shape[0] >= 256 and photo.shape[1] >= 256
    assert 0.0 <= photo.min() and photo.max() <= 1.0
    assert photo.std() > 0.1  # not a flat or synthetic placeholder
    rgb = convlab.photograph_rgb(size=128)
    assert rgb.shape == (128, 128, 3)
    np.testing.assert_allclose(convlab.photograph(size=128), rgb @ [0.299, 0.587, 0.114])
    with pytest.raises(ValueError, match="size"):
        convlab.photograph(size=10_000)


def test_sample_images_are_fresh_copies():
    a = convlab.manual_lab_image()
    a[0, 0] = 99
    assert convlab.manual_lab_image()[0, 0] == 1


def test_synthetic_images():
    np.testing.assert_array_equal(convlab.step_edge((2, 4)), [[0, 0, 1, 1], [0, 0, 1, 1]])
    np.testing.assert_array_equal(convlab.diagonal_edge(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    np.testing.assert_array_equal(convlab.checkerboard(4, 2), [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0]])


def test_named_kernels():
    assert {"identity", "box_blur", "gaussian", "sharpen", "sobel_x", "sobel_y", "laplacian", "edge"} <= set(convlab.KERNEL_NAMES)
    photo = convlab.photograph(size=64)
    np.testing.assert_allclose(convlab.corr2d(photo, convlab.kernel("identity")), photo[1:-1, 1:-1])
    for name in ("box_blur", "gaussian", "sharpen"):  # these preserve a flat region's brightness
        assert convlab.kernel(name).sum() == pytest.approx(1.0)
    for name in ("sobel_x", "sobel_y", "laplacian", "edge"):  # these respond to change only
        assert convlab.kernel(name).sum() == pytest.approx(0.0)
    # sobel_x on a dark-to-bright step from left to right is positive, sobel_y there is zero
    step = convlab.step_edge((5, 6))
    assert convlab.corr2d(step, convlab.kernel("sobel_x")).max() > 0
    np.testing.assert_array_equal(convlab.corr2d(step, convlab.kernel("sobel_y")), 0)
    # the Gaussian blur agrees with torch's conv with the same weights
    g = convlab.kernel("gaussian")
    expected = F.conv2d(torch.tensor(photo)[None, None], torch.tensor(g)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(convlab.corr2d(photo, g), expected, rtol=1e-12)


def test_transposing_image_and_kernel_transposes_the_output():
    """doc 003's question: the [1, -1] kernel on a transposed image finds horizontal edges only when transposed too."""
    X = convlab.stripes_image()
    K = convlab.kernel("edge")
    np.testing.assert_array_equal(convlab.corr2d(X.T, K.T), convlab.corr2d(X, K).T)
    np.testing.assert_array_equal(convlab.corr2d(X.T, K), 0)  # the vertical stripes became horizontal: no response
