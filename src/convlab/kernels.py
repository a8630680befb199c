"""Named kernels of classic image processing, each returned as a fresh float64 array."""
from math import comb

import numpy as np

__all__ = ["KERNEL_NAMES", "kernel", "derivative_kernel"]

_KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box_blur": np.full((3, 3), 1 / 9),
    "gaussian": np.outer([1, 2, 1], [1, 2, 1]) / 16,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    # Sobel responds to a change along x (sobel_x: vertical edges) or y (sobel_y: horizontal edges);
    # as a cross-correlation, a dark-to-bright step from left to right gives a positive sobel_x.
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    # The documents' edge detector: 1 where a bright pixel is followed by a dark one.
    "edge": [[1, -1]],
}

KERNEL_NAMES = tuple(_KERNELS)


def kernel(name):
    """The named kernel as a new float64 array; `KERNEL_NAMES` lists the names."""
    if name not in _KERNELS:
        raise ValueError(f"unknown kernel name {name!r}; choose one of {', '.join(KERNEL_NAMES)}")
    return np.array(_KERNELS[name], dtype=np.float64)


def derivative_kernel(order, axis="x"):
    """Finite-difference kernel of the `order`-th derivative: (-1)^i * C(order, i), length order + 1.

    order 1 is the documents' [1, -1]; order 2 is [1, -2, 1]. order + 1 taps is the smallest
    kernel that can estimate a d-th derivative. axis 'x' gives a (1, order+1) row, 'y' a column.
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ValueError(f"order must be a non-negative int, got {order!r}")
    taps = np.array([(-1) ** i * comb(order, i) for i in range(order + 1)], dtype=np.float64)
    if axis == "x":
        return taps[None, :]
    if axis == "y":
        return taps[:, None]
    raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
