"""Interactive explorers: ipywidgets controls wired to convlab's compute and plotting.

Each builder returns an `Explorer` with `.controls` (name -> widget), `.state` (recomputed on every
change), `.figure` (one matplotlib Figure, updated in place) and `.show_static()`; a cell ending in
the explorer shows the controls beside the figure in JupyterLab.
"""
from ._base import Explorer
from .channels import channel_explorer
from .correlation import cross_correlation_explorer, kernel_explorer
from .geometry import padding_stride_explorer, receptive_field_explorer
from .learning import learn_kernel_explorer
from .pooling import pooling_explorer

# every explorer builder, in the order of the chapters that show them
EXPLORERS = (
    cross_correlation_explorer,
    kernel_explorer,
    padding_stride_explorer,
    channel_explorer,
    receptive_field_explorer,
    pooling_explorer,
    learn_kernel_explorer,
)

__all__ = [
    "Explorer",
    "EXPLORERS",
    "cross_correlation_explorer",
    "kernel_explorer",
    "padding_stride_explorer",
    "channel_explorer",
    "receptive_field_explorer",
    "pooling_explorer",
    "learn_kernel_explorer",
]
