"""convlab: convolution basics for CNNs in numpy, with PyTorch's names and semantics.

Compute (this package's top level) imports numpy only. Plotting (`convlab.plotting`) needs
matplotlib and explorers (`convlab.explore`) need ipywidgets; import them explicitly.
"""
from .functional import avg_pool2d, conv2d, corr2d, corr2d_loops, corr2d_matrix, max_pool2d
from .images import (
    checkerboard,
    corr_example_input,
    corr_example_kernel,
    diagonal_edge,
    edge_lab_image,
    edge_lab_kernel,
    manual_lab_image,
    manual_lab_kernel,
    photograph,
    photograph_rgb,
    step_edge,
    stripes_image,
)
from .kernels import KERNEL_NAMES, derivative_kernel, kernel
from .learn import learn_kernel
from .shapes import ReceptiveField, output_size, receptive_field
from . import networks  # noqa: E402  (classic networks as data: convlab.networks.vgg16(), ...)

__version__ = "0.1.0"
