"""The hidden checks of conv-basics, run by the grader (never released, never in a sandbox).

Each hidden test region in practice.ipynb imports one of these and calls it with the student's
functions or values (in the grader: proxies into the re-check sandbox). Random inputs come from
test_rng(), which the grader seeds for that student and that test. The oracles are PyTorch, run
here in the grader, and the values worked out by hand in the chapters' manual lab. (In the
instructor's own kernel, e.g. `nbgrader validate`, the same code runs directly.)
"""
import numpy as np

from convgrade.compare import (CheckFailed, as_number_array, describe, describe_call, expect_array,
                               expect_int, expect_rejected, expect_shape, returned, test_rng)

# Problems 1-4 ask for the student's own code: these are absent or replaced when it runs.
FORBIDDEN_MODULES = ["convlab", "scipy.signal", "scipy.ndimage"]
# Whole families of PyTorch operators (fnmatch over their names, every namespace and overload):
# a convolution or pooling nobody listed is refused too. ("*conv*" also takes the few sparse and
# quantization converters, "_convert_*", which these problems never need.)
FORBIDDEN_TORCH_OPS = ["*conv*", "*pool*"]
FORBIDDEN_REASON = "this practice asks for your own code (loops or numpy arithmetic)"

# The manual lab of the chapters, and its output worked out by hand.
MANUAL_IMAGE = np.array([[1, 2, 0, 0], [5, 3, 0, 4], [2, 1, 3, 1], [0, 2, 1, 2]], dtype=float)
MANUAL_KERNEL = np.array([[1, 0], [0, -1]], dtype=float)
# Problem 1: the output the student must reproduce (made by [[-1, 1], [-1, 1]]), and the blur kernel.
TARGET_OUTPUT = np.array([[-1, -5, 4], [-3, -1, 2], [1, 1, -1]], dtype=float)
BLUR_KERNEL = np.full((2, 2), 0.25)


# ---------------------------------------------------------------- oracles

def torch_corr2d(X, K):
    """Cross-correlation by PyTorch (conv2d is a cross-correlation), as float64 numpy."""
    import torch
    x = torch.as_tensor(np.asarray(X, dtype=float))[None, None]
    k = torch.as_tensor(np.asarray(K, dtype=float))[None, None]
    return torch.nn.functional.conv2d(x, k)[0, 0].numpy()


def torch_conv_shapes(input_shape, out_channels, kernel_size, stride=1, padding=0, bias=True):
    """Output, weight and bias shapes of nn.Conv2d on an input of input_shape, from PyTorch."""
    import torch
    with torch.no_grad():
        conv = torch.nn.Conv2d(input_shape[1], out_channels, kernel_size, stride=stride, padding=padding, bias=bias)
        output = conv(torch.zeros(input_shape))
    return {"output": tuple(output.shape), "weight": tuple(conv.weight.shape),
            "bias": None if conv.bias is None else tuple(conv.bias.shape)}


def torch_output_size(n, k, p, s):
    """Output length along one axis, from PyTorch's conv2d."""
    import torch
    x, w = torch.zeros(1, 1, n, 1), torch.zeros(1, 1, k, 1)
    return torch.nn.functional.conv2d(x, w, stride=(s, 1), padding=(p, 0)).shape[2]


def random_matrix(rng, shape):
    return rng.integers(-9, 10, size=shape).astype(float) + rng.random(shape).round(2)


# ---------------------------------------------------------------- problem 1: change the kernel

def _corr2d_case(corr2d, rng, image_shape, kernel_shape):
    X, K = random_matrix(rng, image_shape), random_matrix(rng, kernel_shape)
    got = returned(corr2d, "corr2d", X, K)
    expect_array(got, torch_corr2d(X, K), f"corr2d(X, K) with X of shape {X.shape} and K of shape {K.shape}")


def check_corr2d_square_random(corr2d):
    rng = test_rng()
    for _ in range(4):
        n = int(rng.integers(3, 9))
        k = int(rng.integers(2, n + 1))  # a 1x1 kernel could not tell correlation from convolution
        _corr2d_case(corr2d, rng, (n, n), (k, k))


def check_corr2d_rectangular_random(corr2d):
    rng = test_rng()
    for _ in range(4):
        height, width = int(rng.integers(3, 7)), int(rng.integers(7, 11))
        kh, kw = rng.choice(np.arange(1, height + 1), size=2, replace=False)
        image_shape, kernel_shape = (height, width), (int(kh), int(kw))
        if rng.random() < 0.5:
            image_shape, kernel_shape = image_shape[::-1], kernel_shape[::-1]
        _corr2d_case(corr2d, rng, image_shape, kernel_shape)


def check_corr2d_edge_sizes(corr2d):
    rng = test_rng()
    height, width = int(rng.integers(2, 7)), int(rng.integers(2, 7))
    _corr2d_case(corr2d, rng, (height, width), (height, width))
    _corr2d_case(corr2d, rng, (height, width), (1, 1))
    _corr2d_case(corr2d, rng, (height, width), (1, width))


def check_found_kernel_reproduces_target(found_kernel):
    found = as_number_array(found_kernel, "found_kernel")
    if found.shape != (2, 2):
        raise CheckFailed(f"found_kernel has shape {found.shape}; expected a 2x2 kernel")
    expect_array(torch_corr2d(MANUAL_IMAGE, found), TARGET_OUTPUT, "the output of image with found_kernel")


def check_predicted_blur_output(predicted_output):
    expect_array(predicted_output, torch_corr2d(MANUAL_IMAGE, BLUR_KERNEL), "predicted_output")


# ---------------------------------------------------------------- problem 2: out[1, 0] by hand

def _expect_window_and_value(got, X, K, i, j):
    what = f"window_and_value(X, K, {i}, {j}) with X of shape {X.shape} and K of shape {K.shape}"
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise CheckFailed(f"{what} gave {describe(got)}; expected a pair (window, value)")
    kh, kw = K.shape
    expect_array(got[0], X[i:i + kh, j:j + kw], f"the window from {what}")
    expect_array(got[1], torch_corr2d(X, K)[i, j], f"the value from {what}")


def check_out_1_0_window(window_1_0):
    expect_array(window_1_0, MANUAL_IMAGE[1:3, 0:2], "window_1_0")


def check_out_1_0_value(value_1_0):
    expect_array(value_1_0, np.array(4.0), "value_1_0")


def check_window_and_value_random(window_and_value):
    rng = test_rng()
    for _ in range(5):
        height, width = int(rng.integers(3, 9)), int(rng.integers(3, 9))
        kh, kw = int(rng.integers(1, height + 1)), int(rng.integers(2, width + 1))
        X, K = random_matrix(rng, (height, width)), random_matrix(rng, (kh, kw))
        i, j = int(rng.integers(0, height - kh + 1)), int(rng.integers(0, width - kw + 1))
        _expect_window_and_value(returned(window_and_value, "window_and_value", X, K, i, j), X, K, i, j)


def check_window_and_value_rejects_outside(window_and_value):
    rng = test_rng()
    height, width = int(rng.integers(4, 9)), int(rng.integers(4, 9))
    kh, kw = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    X, K = random_matrix(rng, (height, width)), random_matrix(rng, (kh, kw))
    out_h, out_w = height - kh + 1, width - kw + 1
    got = returned(window_and_value, "window_and_value", X, K, out_h - 1, out_w - 1)
    _expect_window_and_value(got, X, K, out_h - 1, out_w - 1)
    for i, j in [(-1, 0), (0, -1), (out_h, 0), (0, out_w)]:
        expect_rejected(window_and_value, "window_and_value", (X, K, i, j), {}, (ValueError,),
                        f"the output has shape ({out_h}, {out_w})")


# ---------------------------------------------------------------- problem 3: stride 1

def check_size_lab_stride1_shape(value):
    want = torch_conv_shapes((1, 1, 6, 6), 2, 3, stride=1, padding=1)["output"]
    expect_shape(value, want, "size_lab_stride1_shape")


def check_conv_output_size_random(conv_output_size):
    rng = test_rng()
    cases = 0
    while cases < 10:
        n, k = int(rng.integers(1, 65)), int(rng.integers(1, 10))
        p = 0 if cases < 3 else int(rng.integers(1, 5))
        s = 1 if cases < 1 else int(rng.integers(2, 5))
        if k > n + 2 * p:
            continue
        cases += 1
        got = returned(conv_output_size, "conv_output_size", n, k, p, s)
        expect_int(got, torch_output_size(n, k, p, s), describe_call("conv_output_size", (n, k, p, s)))


def check_conv_output_size_rejects_impossible(conv_output_size):
    rng = test_rng()
    n, p = int(rng.integers(1, 10)), int(rng.integers(0, 3))
    k = n + 2 * p + int(rng.integers(1, 4))
    fits = returned(conv_output_size, "conv_output_size", n + 2 * p, n + 2 * p, 0, 1)
    if isinstance(fits, bool) or fits != 1:
        raise CheckFailed(f"conv_output_size({n + 2 * p}, {n + 2 * p}, 0, 1) gave {describe(fits)}; expected 1 "
                          "(a kernel exactly as long as the input fits once)")
    expect_rejected(conv_output_size, "conv_output_size", (n, k, p, 1), {}, (ValueError,),
                    f"a kernel of {k} does not fit in {n} + 2*{p}")
    expect_rejected(conv_output_size, "conv_output_size", (n + 5, 3, p, 0), {}, (ValueError,), "the stride is 0")


# ---------------------------------------------------------------- problem 4: out_channels=16

def _conv2d_shapes_case(conv2d_shapes, input_shape, out_channels, kernel_size, stride, padding, bias):
    kwargs = {"stride": stride, "padding": padding, "bias": bias}
    call = describe_call("conv2d_shapes", (input_shape, out_channels, kernel_size), kwargs)
    got = returned(conv2d_shapes, "conv2d_shapes", input_shape, out_channels, kernel_size, **kwargs)
    want = torch_conv_shapes(input_shape, out_channels, kernel_size, **kwargs)
    if not isinstance(got, dict):
        raise CheckFailed(f"{call} gave {describe(got)}; expected a dict with output, weight and bias")
    for key in ("output", "weight", "bias"):
        if key not in got:
            raise CheckFailed(f"{call} has no {key!r} entry")
        if want[key] is None:
            if got[key] is not None:
                raise CheckFailed(f"{call}[{key!r}] is {describe(got[key])}; expected None (bias=False)")
        else:
            expect_shape(got[key], want[key], f"{call}[{key!r}]")


def check_channel_lab_16_shapes(channel_lab_16):
    want = torch_conv_shapes((2, 3, 32, 32), 16, 3, padding=1)
    want["input"] = (2, 3, 32, 32)
    if not isinstance(channel_lab_16, dict):
        raise CheckFailed(f"channel_lab_16 is {describe(channel_lab_16)}; expected a dict")
    for key in ("input", "output", "weight", "bias"):
        if key not in channel_lab_16:
            raise CheckFailed(f"channel_lab_16 has no {key!r} entry")
        expect_shape(channel_lab_16[key], want[key], f"channel_lab_16[{key!r}]")


def check_conv2d_shapes_random(conv2d_shapes):
    rng = test_rng()
    for _ in range(6):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 9, size=3))
        h, w = int(rng.integers(5, 40)), int(rng.integers(5, 40))
        k, s, p = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        _conv2d_shapes_case(conv2d_shapes, (n, c_in, h, w), c_out, k, s, p, True)


def check_conv2d_shapes_pairs_and_no_bias(conv2d_shapes):
    rng = test_rng()
    for _ in range(4):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 9, size=3))
        h, w = int(rng.integers(8, 40)), int(rng.integers(8, 40))
        kernel = (int(rng.integers(1, 4)), int(rng.integers(4, 7)))
        stride = (int(rng.integers(1, 3)), int(rng.integers(2, 4)))
        padding = (int(rng.integers(0, 2)), int(rng.integers(2, 4)))
        _conv2d_shapes_case(conv2d_shapes, (n, c_in, h, w), c_out, kernel, stride, padding, False)


# ---------------------------------------------------------------- problem 5: channels last -> first

def _expect_nchw(got, x):
    import torch
    call = f"to_nchw(x) with x {describe(x)}"
    if isinstance(x, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            raise CheckFailed(f"{call} (a torch tensor) gave {describe(got)}; expected a torch tensor")
        got_array, want = got.numpy(), x.numpy().transpose(0, 3, 1, 2)
    else:
        if not isinstance(got, np.ndarray):
            raise CheckFailed(f"{call} (a numpy array) gave {describe(got)}; expected a numpy array")
        got_array, want = got, x.transpose(0, 3, 1, 2)
    if tuple(got_array.shape) != want.shape:
        raise CheckFailed(f"{call} has shape {tuple(got_array.shape)}; expected {want.shape}")
    if got.dtype != x.dtype:
        raise CheckFailed(f"{call} changed the dtype from {x.dtype} to {got.dtype}")
    if not np.array_equal(got_array, want):
        raise CheckFailed(f"{call} has the right shape but the values moved to the wrong places "
                          f"(out[n, c, h, w] must be x[n, h, w, c])")


def _random_nhwc(rng, kind):
    """A random (N, H, W, C) array or tensor; H, W and C differ and C > 1, so a reshape cannot pass."""
    n, c = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    h = int(rng.integers(2, 6))
    x = rng.integers(0, 255, size=(n, h + c, h + c + 1, c)).astype(rng.choice(["float32", "float64", "int64", "uint8"]))
    if kind == "torch":
        import torch
        return torch.from_numpy(x)
    return x


def check_to_nchw_numpy_random(to_nchw):
    rng = test_rng()
    for _ in range(3):
        x = _random_nhwc(rng, "numpy")
        _expect_nchw(returned(to_nchw, "to_nchw", x), x)


def check_to_nchw_torch_random(to_nchw):
    rng = test_rng()
    for _ in range(3):
        x = _random_nhwc(rng, "torch")
        _expect_nchw(returned(to_nchw, "to_nchw", x), x)


def check_to_nchw_rejects_non_4d(to_nchw):
    rng = test_rng()
    x = _random_nhwc(rng, "numpy")
    _expect_nchw(returned(to_nchw, "to_nchw", x), x)
    for shape in [(4, 5, 3), (1, 2, 4, 5, 3)]:
        expect_rejected(to_nchw, "to_nchw", (np.zeros(shape),), {}, (ValueError,),
                        f"x has {len(shape)} dimensions, not 4")


__all__ = [name for name in dir() if not name.startswith("_")]
