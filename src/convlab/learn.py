"""Learning a kernel from examples by gradient descent, the gradient written out by hand."""
import numpy as np

from ._checks import as_float_array, check_ndim, positive_pair
from .functional import corr2d

__all__ = ["learn_kernel"]


def learn_kernel(X, Y, kernel_shape, lr=0.03, epochs=10, seed=0):
    """Fit K so that corr2d(X, K) ~ Y, minimising the summed squared error sum((corr2d(X, K) - Y)**2).

    X: (H, W); Y: (H - kh + 1, W - kw + 1); kernel_shape: (kh, kw).
    dL/dK[a, b] = sum_ij 2 * (Yhat - Y)[i, j] * X[i + a, j + b], which is itself a
    cross-correlation of X with the residual. Returns (kernel, losses), one loss per epoch,
    each measured before that epoch's update (as the usual PyTorch training loop prints it).
    """
    X = as_float_array(X, "X")
    Y = as_float_array(Y, "Y")
    check_ndim(X, "X", (2,), "an image (H, W)")
    check_ndim(Y, "Y", (2,), "a target feature map (H_out, W_out)")
    kh, kw = positive_pair(tuple(kernel_shape) if not isinstance(kernel_shape, int) else kernel_shape, "kernel_shape")
    expected = (X.shape[0] - kh + 1, X.shape[1] - kw + 1)
    if Y.shape != expected:
        raise ValueError(
            f"Y must have shape {expected} (X {X.shape} correlated with a {(kh, kw)} kernel), got {Y.shape}"
        )
    if not (isinstance(epochs, int) and epochs >= 0):
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    rng = np.random.default_rng(seed)
    K = rng.standard_normal((kh, kw))
    losses = []
    for _ in range(epochs):
        residual = corr2d(X, K) - Y
        losses.append(float(np.sum(residual**2)))
        K = K - lr * 2 * corr2d(X, residual)
    return K, np.array(losses)
