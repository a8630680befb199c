"""Convolution and pooling in numpy, with the names and semantics of `torch.nn.functional`.

Shapes follow PyTorch: images are `(N, C, H, W)` (or unbatched `(C, H, W)`),
weights are `(C_out, C_in / groups, kH, kW)`. All functions here compute
cross-correlation, as every deep learning library does under the name "convolution".
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _conv
from ._checks import (
    as_float_array,
    check_ndim,
    nonnegative_pair,
    positive_pair,
    result_dtype,
)
from .shapes import _conv_out, _pool_out

__all__ = ["corr2d", "corr2d_loops", "corr2d_matrix", "conv2d", "max_pool2d", "avg_pool2d"]


# --- single channel, the textbook versions -------------------------------------------------


def _check_single(X, K):
    X = as_float_array(X, "X")
    K = as_float_array(K, "K")
    check_ndim(X, "X", (2,), "a single-channel image (H, W)")
    check_ndim(K, "K", (2,), "a kernel (kh, kw)")
    if 0 in K.shape:
        raise ValueError(f"K must not be empty, got shape {K.shape}")
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError(
            f"kernel K of shape {K.shape} is larger than the input X of shape {X.shape}: "
            "a valid cross-correlation needs kh <= H and kw <= W (pad X first)"
        )
    return X, K


def corr2d(X, K):
    """Valid 2-D cross-correlation of `X (H, W)` with `K (kh, kw)`; returns `(H-kh+1, W-kw+1)`.

    Computed without a loop over output positions: for kernels up to 3 wide, as a sum of kh*kw
    shifted copies of X scaled by one kernel entry each; for wider ones, one banded matrix product
    per kernel row (see _conv.py for both and why).
    """
    X, K = _check_single(X, K)
    kh, kw = K.shape
    out = np.empty((X.shape[0] - kh + 1, X.shape[1] - kw + 1), dtype=result_dtype(X, K))
    if kw <= _conv.BANDED_FROM_WIDTH - 1:
        _conv.shifted_sum(X[None], [(0, i, j) for i in range(kh) for j in range(kw)], K.ravel(), out)
    else:
        _conv.banded_corr2d(X, K, out)
    return out


def corr2d_loops(X, K):
    """The double loop a learner writes first: one window, one product, one sum per output."""
    X, K = _check_single(X, K)
    kh, kw = K.shape
    out = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1), dtype=result_dtype(X, K))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (X[i : i + kh, j : j + kw] * K).sum()
    return out


def corr2d_matrix(input_shape, K):
    """The matrix M with `M @ X.ravel() == corr2d(X, K).ravel()` for every X of `input_shape`.

    Row r of M holds the kernel scattered onto the pixels of output r's window: this is
    cross-correlation written as one (sparse, banded) matrix product.
    """
    K = as_float_array(K, "K")
    check_ndim(K, "K", (2,), "a kernel (kh, kw)")
    if len(tuple(input_shape)) != 2:
        raise ValueError(f"input_shape must be (H, W), got {tuple(input_shape)}")
    H, W = positive_pair(tuple(input_shape), "input_shape")
    kh, kw = K.shape
    if kh > H or kw > W or 0 in K.shape:
        raise ValueError(f"kernel K of shape {K.shape} does not fit in an input of shape {(H, W)}")
    oh, ow = H - kh + 1, W - kw + 1
    M = np.zeros((oh * ow, H * W), dtype=K.dtype)
    rows = np.arange(oh * ow)
    top, left = np.divmod(rows, ow)
    for a in range(kh):
        for b in range(kw):
            M[rows, (top + a) * W + (left + b)] = K[a, b]
    return M


# --- batched, multi-channel ------------------------------------------------------------------


def _as_batch(x, name):
    """Accept (N, C, H, W) or unbatched (C, H, W); return the 4-D array and whether to squeeze."""
    check_ndim(x, name, (3, 4), "(N, C, H, W) or unbatched (C, H, W)")
    if x.ndim == 3:
        return x[None], True
    return x, False


def _same_padding(kernel, dilation):
    """torch's 'same': total d*(k-1) per dimension, the extra pixel (odd total) at the bottom/right."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads


def _resolve_conv_padding(padding, kernel, stride, dilation):
    """Return ((top, bottom), (left, right)) for an int, pair, 'valid' or 'same' padding."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0), (0, 0)]
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"padding='same' needs stride=1, got stride={stride}: as in PyTorch, 'same' is defined for "
                    "stride 1 only (with a larger stride the padding would depend on the input size); give a number"
                )
            return _same_padding(kernel, dilation)
        raise ValueError(f"padding must be an int, an (h, w) pair, 'valid' or 'same', got {padding!r}")
    ph, pw = nonnegative_pair(padding, "padding")
    return [(ph, ph), (pw, pw)]


def _channels_hint(x_shape, c_in):
    """If the input looks channels-last (its last axis is C_in), say so and name the fix."""
    if x_shape[-1] != c_in or x_shape[-3] == c_in:
        return ""
    if len(x_shape) == 4:
        return (
            f" The input looks channels-last (N, H, W, C): its last axis is {c_in}. "
            "PyTorch and convlab expect (N, C, H, W); convert with x.transpose(0, 3, 1, 2) in numpy "
            "or x.permute(0, 3, 1, 2) in torch."
        )
    return (
        f" The input looks channels-last (H, W, C): its last axis is {c_in}. "
        "PyTorch and convlab expect (C, H, W); convert with x.transpose(2, 0, 1) in numpy "
        "or x.permute(2, 0, 1) in torch."
    )


def _windows(xp, kernel, stride, dilation, out_hw):
    """View of every window: (N, C, Ho, Wo, kh, kw), no copy."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    win = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))
    return win[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, ::dh, ::dw]


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) as `torch.nn.functional.conv2d`.

    x: (N, C_in, H, W) or (C_in, H, W); weight: (C_out, C_in / groups, kH, kW); bias: (C_out,).
    Returns (N, C_out, H_out, W_out), or (C_out, H_out, W_out) for an unbatched x.
    """
    x = as_float_array(x, "input")
    weight = as_float_array(weight, "weight")
    x4, squeeze = _as_batch(x, "input")
    check_ndim(weight, "weight", (4,), "(C_out, C_in / groups, kH, kW)")
    stride = positive_pair(stride, "stride")
    dilation = positive_pair(dilation, "dilation")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    n, c_in, h, w = x4.shape
    c_out, c_per_group, kh, kw = weight.shape
    if 0 in (kh, kw):
        raise ValueError(f"weight has a zero kernel size: shape {weight.shape}")
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"groups={groups} must divide both in_channels ({c_in}, from input of shape {x.shape}) "
            f"and out_channels ({c_out}, from weight of shape {weight.shape})"
        )
    if c_per_group * groups != c_in:
        raise ValueError(
            f"input has {c_in} channels (shape {x.shape}, read as {'(C, H, W)' if squeeze else '(N, C, H, W)'}) but weight of shape "
            f"{weight.shape} expects {c_per_group * groups} (= weight.shape[1] {c_per_group} x groups {groups})."
            + _channels_hint(x.shape, c_per_group * groups)
        )
    pads = _resolve_conv_padding(padding, (kh, kw), stride, dilation)
    out_hw = []
    for dim, size, k, s, (lo, hi), d in zip("HW", (h, w), (kh, kw), stride, pads, dilation):
        o = _conv_out(size, k, s, lo + hi, d)
        if o < 1:
            raise ValueError(
                f"kernel size {k} (dilation {d}, so it spans {d * (k - 1) + 1}) is larger than the padded "
                f"input {dim}: {size} + padding {lo + hi} = {size + lo + hi} (input shape {x.shape}, weight shape {weight.shape})"
            )
        out_hw.append(o)
    if bias is not None:
        bias = as_float_array(bias, "bias")
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({c_out},) to match weight {weight.shape}, got {bias.shape}")
    dtype = result_dtype(x4, weight) if bias is None else result_dtype(x4, weight, bias)
    # the algorithm (shifted sums or im2col runs + BLAS) and why: see _conv.py
    q, taps = _conv.phases(x4, pads, stride, dilation, (kh, kw), out_hw, dtype)
    weight = weight.astype(dtype, copy=False)
    out = np.empty((n, c_out, *out_hw), dtype=dtype)
    if _conv.choose(n, c_in, c_out, groups, len(taps), out_hw, q.shape[-1]) == "shifted":
        _conv.conv_shifted(q, taps, weight, out)
    else:
        _conv.conv_runs(q, taps, weight, groups, out)
    if bias is not None:
        out += bias.astype(dtype, copy=False)[:, None, None]
    return out[0] if squeeze else out


# --- pooling --------------------------------------------------------------------------------


def _pool_setup(x, kernel_size, stride, padding, dilation, ceil_mode, fn):
    x = as_float_array(x, "input")
    x4, squeeze = _as_batch(x, "input")
    kernel = positive_pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else positive_pair(stride, "stride")
    padding = nonnegative_pair(padding, "padding")
    dilation = positive_pair(dilation, "dilation")
    for dim, k, p in zip("HW", kernel, padding):
        if p > k // 2:
            raise ValueError(
                f"{fn}: padding {p} in {dim} is more than half the kernel size {k}; "
                "padding must be at most kernel_size // 2 (as in PyTorch)"
            )
    h, w = x4.shape[2:]
    out_hw = []
    for dim, size, k, s, p, d in zip("HW", (h, w), kernel, stride, padding, dilation):
        o = _pool_out(size, k, s, p, d, ceil_mode)
        if o < 1:
            raise ValueError(
                f"{fn}: kernel size {k} (dilation {d}) is larger than the padded input {dim}: "
                f"{size} + 2*{p} = {size + 2 * p} (input shape {x.shape})"
            )
        out_hw.append(o)
    # pad on the far side as well when ceil_mode lets the last window hang over the edge
    extra = [max(0, (o - 1) * s + d * (k - 1) + 1 - (size + 2 * p)) for o, s, d, k, size, p in zip(out_hw, stride, dilation, kernel, (h, w), padding)]
    return x4, squeeze, kernel, stride, padding, dilation, out_hw, extra


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling as `torch.nn.functional.max_pool2d`; x: (N, C, H, W) or (C, H, W).

    The stride defaults to the kernel size; padding is implicit -inf, so it never wins.
    return_indices: also return, per output, the flat index (row * W + col) of the input value it
    took, as torch does (int64; ties go to the first in reading order, NaN to the last NaN).
    """
    x4, squeeze, kernel, stride, padding, dilation, out_hw, extra = _pool_setup(
        x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"
    )
    pad = ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1]))
    xp = np.pad(x4, pad, constant_values=-np.inf)
    windows = _windows(xp, kernel, stride, dilation, out_hw)
    out = windows.max(axis=(-2, -1))
    if not return_indices:
        return out[0] if squeeze else out
    # the flat input index under every window tap; -1 in the padding, which never wins
    where = np.pad(np.arange(x4.shape[2] * x4.shape[3]).reshape(1, 1, *x4.shape[2:]), pad, constant_values=-1)
    indices = _argmax_indices(windows, _windows(where, kernel, stride, dilation, out_hw))
    # a window whose taps all fall in the padding (dilation can skip the input) gets torch's start
    # index: its first tap row and column that are not above or left of the input
    first = [np.arange(o) * s - p for o, s, p in zip(out_hw, stride, padding)]
    first = [np.where(f < 0, f % d, f) for f, d in zip(first, dilation)]  # f % d: f stepped up by d until >= 0
    fallback = first[0][:, None] * x4.shape[3] + first[1][None, :]
    indices = np.where(indices < 0, fallback, indices)
    return (out[0], indices[0]) if squeeze else (out, indices)


def _argmax_indices(windows, where):
    """torch's winner of each window: the first maximum of its input taps, or their last NaN; -1 if none."""
    values = windows.reshape(*windows.shape[:4], -1)
    where = np.broadcast_to(where.reshape(*where.shape[:4], -1), values.shape)
    real = where >= 0
    best = np.where(real, values, -np.inf).max(axis=-1, keepdims=True)
    first_max = np.argmax(real & (values == best), axis=-1)
    nan = real & np.isnan(values)
    last_nan = values.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    tap = np.where(nan.any(axis=-1), last_nan, first_max)
    found = np.take_along_axis(where, tap[..., None], axis=-1)[..., 0]
    return np.where(real.any(axis=-1), found, -1).astype(np.int64)


def _avg_divisor(size, k, s, p, o, count_include_pad):
    """Per-output divisor along one dimension, with torch's rule for windows at the edges."""
    start = np.arange(o) * s - p
    end = np.minimum(start + k, size + p)
    if count_include_pad:
        return (end - start).astype(np.float64)
    return (np.minimum(end, size) - np.maximum(start, 0)).astype(np.float64)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average pooling as `torch.nn.functional.avg_pool2d`; x: (N, C, H, W) or (C, H, W)."""
    x4, squeeze, kernel, stride, padding, _, out_hw, extra = _pool_setup(
        x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d"
    )
    pad = ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1]))
    xp = np.pad(x4, pad)
    sums = _windows(xp, kernel, stride, (1, 1), out_hw).sum(axis=(-2, -1))
    h, w = x4.shape[2:]
    dh = _avg_divisor(h, kernel[0], stride[0], padding[0], out_hw[0], count_include_pad)
    dw = _avg_divisor(w, kernel[1], stride[1], padding[1], out_hw[1], count_include_pad)
    out = (sums / np.outer(dh, dw)).astype(x4.dtype, copy=False)
    return out[0] if squeeze else out
