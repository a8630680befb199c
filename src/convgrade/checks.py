"""One check per graded behaviour of the practice, keyed by the test cell's grade_id.

A check reaches the student's code only through `student` (call a function, read a variable),
so the same check runs in two places: inside the notebook's kernel (KernelStudent: the result
students see in their feedback) and in the grader against a fresh sandbox process
(sandbox.SandboxStudent), where the comparison runs in the grader and nothing the student's code
does can change it. Inputs are fresh random draws each time; the oracles are PyTorch and the
values worked out by hand in the course documents (comparisons and oracles: convgrade.compare).
"""
import copy
from dataclasses import dataclass

import numpy as np

from . import guards
from .compare import (CheckFailed, Outcome, as_number_array, describe, describe_call, expect_array,
                      expect_rejected, expect_shape, random_matrix, returned, torch_conv_shapes,
                      torch_corr2d, torch_output_size)

# The manual lab of the documents, and its output worked out by hand.
MANUAL_IMAGE = np.array([[1, 2, 0, 0], [5, 3, 0, 4], [2, 1, 3, 1], [0, 2, 1, 2]], dtype=float)
MANUAL_KERNEL = np.array([[1, 0], [0, -1]], dtype=float)
MANUAL_OUTPUT = np.array([[-2, 2, -4], [4, 0, -1], [0, 0, 1]], dtype=float)
# Problem 1: the output the student must reproduce (made by [[-1, 1], [-1, 1]]), and the blur kernel.
TARGET_OUTPUT = np.array([[-1, -5, 4], [-3, -1, 2], [1, 1, -1]], dtype=float)
BLUR_KERNEL = np.full((2, 2), 0.25)


@dataclass
class Behaviour:
    """A graded behaviour: its test cell's grade_id, the sentence its docstring says, its check."""
    grade_id: str
    description: str
    check: object


BEHAVIOURS = {}


def behaviour(check):
    """Register a check under its function name, which is the test cell's grade_id."""
    BEHAVIOURS[check.__name__] = Behaviour(check.__name__, " ".join(check.__doc__.split()), check)
    return check


# ---------------------------------------------------------------- how checks reach the student

class KernelStudent:
    """The student's namespace in the kernel the test runs in (convenient, not trustworthy)."""

    def __init__(self, namespace):
        self.namespace = namespace

    def value(self, name):
        if name not in self.namespace:
            raise CheckFailed(f"`{name}` is not defined: run the cell where you set it")
        return self.namespace[name]

    def attempt(self, name, *args, own_code=False, **kwargs):
        function = self.value(name)
        args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)  # the oracle still needs them intact
        try:
            return Outcome(value=guards.call_once_too_long(function, *args, own_code=own_code, **kwargs))
        except (Exception, guards.TimeLimitExceeded) as error:
            names = tuple(c.__name__ for c in type(error).__mro__)
            return Outcome(error_types=names, message=f"{type(error).__name__}: {error}")

    def call(self, name, *args, own_code=False, **kwargs):
        return returned(self.attempt(name, *args, own_code=own_code, **kwargs), name, args, kwargs)


def run_in_kernel(grade_id, namespace):
    """Run one check inside the notebook (hidden test cells call this)."""
    try:
        BEHAVIOURS[grade_id].check(KernelStudent(namespace), np.random.default_rng())
    except CheckFailed as failure:
        raise CheckFailed(str(failure)) from None


# ---------------------------------------------------------------- problem 1: change the kernel

def _corr2d_case(student, rng, image_shape, kernel_shape):
    X, K = random_matrix(rng, image_shape), random_matrix(rng, kernel_shape)
    got = student.call("corr2d", X, K, own_code=True)
    expect_array(got, torch_corr2d(X, K), f"corr2d(X, K) with X of shape {X.shape} and K of shape {K.shape}")


@behaviour
def corr2d_manual_lab(student, rng):
    """corr2d reproduces the manual lab: image and kernel give [[-2, 2, -4], [4, 0, -1], [0, 0, 1]]."""
    got = student.call("corr2d", MANUAL_IMAGE, MANUAL_KERNEL, own_code=True)
    expect_array(got, MANUAL_OUTPUT, "corr2d(image, kernel)")


@behaviour
def corr2d_square_random(student, rng):
    """corr2d matches PyTorch on fresh random square images and kernels."""
    for _ in range(4):
        n = int(rng.integers(3, 9))
        k = int(rng.integers(2, n + 1))  # a 1x1 kernel could not tell correlation from convolution
        _corr2d_case(student, rng, (n, n), (k, k))


@behaviour
def corr2d_rectangular_random(student, rng):
    """corr2d matches PyTorch when the image and the kernel are not square."""
    for _ in range(4):
        height, width = int(rng.integers(3, 7)), int(rng.integers(7, 11))
        kh, kw = rng.choice(np.arange(1, height + 1), size=2, replace=False)
        image_shape, kernel_shape = (height, width), (int(kh), int(kw))
        if rng.random() < 0.5:
            image_shape, kernel_shape = image_shape[::-1], kernel_shape[::-1]
        _corr2d_case(student, rng, image_shape, kernel_shape)


@behaviour
def corr2d_edge_sizes(student, rng):
    """corr2d handles a kernel as large as the image (one output value) and a 1x1 kernel."""
    height, width = int(rng.integers(2, 7)), int(rng.integers(2, 7))
    _corr2d_case(student, rng, (height, width), (height, width))
    _corr2d_case(student, rng, (height, width), (1, 1))
    _corr2d_case(student, rng, (height, width), (1, width))


@behaviour
def found_kernel_reproduces_target(student, rng):
    """found_kernel is a 2x2 kernel that turns the manual lab's image into target."""
    found = as_number_array(student.value("found_kernel"), "found_kernel")
    if found.shape != (2, 2):
        raise CheckFailed(f"found_kernel has shape {found.shape}; expected a 2x2 kernel")
    expect_array(torch_corr2d(MANUAL_IMAGE, found), TARGET_OUTPUT, "the output of image with found_kernel")


@behaviour
def predicted_blur_output(student, rng):
    """predicted_output is the output of the manual lab's image with the 2x2 blur kernel."""
    expect_array(student.value("predicted_output"), torch_corr2d(MANUAL_IMAGE, BLUR_KERNEL), "predicted_output")


# ---------------------------------------------------------------- problem 2: out[1, 0] by hand

def _expect_window_and_value(got, X, K, i, j):
    what = f"window_and_value(X, K, {i}, {j}) with X of shape {X.shape} and K of shape {K.shape}"
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise CheckFailed(f"{what} gave {describe(got)}; expected a pair (window, value)")
    kh, kw = K.shape
    expect_array(got[0], X[i:i + kh, j:j + kw], f"the window from {what}")
    expect_array(got[1], torch_corr2d(X, K)[i, j], f"the value from {what}")


@behaviour
def window_and_value_top_left(student, rng):
    """window_and_value gives the documents' top-left window [[1, 2], [5, 3]] and value -2."""
    got = student.call("window_and_value", MANUAL_IMAGE, MANUAL_KERNEL, 0, 0, own_code=True)
    _expect_window_and_value(got, MANUAL_IMAGE, MANUAL_KERNEL, 0, 0)


@behaviour
def out_1_0_window(student, rng):
    """window_1_0 is the 2x2 window of the manual lab's image that produces out[1, 0]."""
    expect_array(student.value("window_1_0"), MANUAL_IMAGE[1:3, 0:2], "window_1_0")


@behaviour
def out_1_0_value(student, rng):
    """value_1_0 is out[1, 0] of the manual lab."""
    expect_array(student.value("value_1_0"), np.array(4.0), "value_1_0")


@behaviour
def window_and_value_random(student, rng):
    """window_and_value gives the right window and value at random positions of random inputs."""
    for _ in range(5):
        height, width = int(rng.integers(3, 9)), int(rng.integers(3, 9))
        kh, kw = int(rng.integers(1, height + 1)), int(rng.integers(2, width + 1))
        X, K = random_matrix(rng, (height, width)), random_matrix(rng, (kh, kw))
        i, j = int(rng.integers(0, height - kh + 1)), int(rng.integers(0, width - kw + 1))
        got = student.call("window_and_value", X, K, i, j, own_code=True)
        _expect_window_and_value(got, X, K, i, j)


@behaviour
def window_and_value_rejects_outside(student, rng):
    """window_and_value raises ValueError or IndexError for positions outside the output (and answers inside)."""
    height, width = int(rng.integers(4, 9)), int(rng.integers(4, 9))
    kh, kw = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    X, K = random_matrix(rng, (height, width)), random_matrix(rng, (kh, kw))
    out_h, out_w = height - kh + 1, width - kw + 1
    got = student.call("window_and_value", X, K, out_h - 1, out_w - 1, own_code=True)
    _expect_window_and_value(got, X, K, out_h - 1, out_w - 1)
    for i, j in [(-1, 0), (0, -1), (out_h, 0), (0, out_w)]:
        why = f"the output has shape ({out_h}, {out_w})"
        expect_rejected(student, "window_and_value", (X, K, i, j), {}, ("ValueError", "IndexError"), why)


# ---------------------------------------------------------------- problem 3: stride 1

@behaviour
def conv_output_size_size_lab(student, rng):
    """conv_output_size gives the documents' examples: (6, 3, 1, 2) -> 3 and (32, 3, 1, 1) -> 32."""
    for args, want in [((6, 3, 1, 2), 3), ((32, 3, 1, 1), 32)]:
        got = student.call("conv_output_size", *args, own_code=True)
        if got != want:
            raise CheckFailed(f"conv_output_size{args} gave {got!r}; expected {want}")


@behaviour
def size_lab_stride1_shape(student, rng):
    """size_lab_stride1_shape is the size lab's output shape with stride=1."""
    expect_shape(student.value("size_lab_stride1_shape"),
                 torch_conv_shapes((1, 1, 6, 6), 2, 3, stride=1, padding=1)["output"], "size_lab_stride1_shape")


@behaviour
def conv_output_size_random(student, rng):
    """conv_output_size matches PyTorch for random sizes, paddings and strides (an int each time)."""
    cases = 0
    while cases < 10:
        n, k = int(rng.integers(1, 65)), int(rng.integers(1, 10))
        p = 0 if cases < 3 else int(rng.integers(1, 5))
        s = 1 if cases < 1 else int(rng.integers(2, 5))
        if k > n + 2 * p:
            continue
        cases += 1
        got = student.call("conv_output_size", n, k, p, s, own_code=True)
        want = torch_output_size(n, k, p, s)
        if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
            raise CheckFailed(f"conv_output_size({n}, {k}, {p}, {s}) gave {got!r}; expected the int {want}")
        if got != want:
            raise CheckFailed(f"conv_output_size({n}, {k}, {p}, {s}) gave {got}; expected {want}")


@behaviour
def conv_output_size_rejects_impossible(student, rng):
    """conv_output_size raises ValueError when the kernel does not fit or the stride is not positive."""
    n, p = int(rng.integers(1, 10)), int(rng.integers(0, 3))
    k = n + 2 * p + int(rng.integers(1, 4))
    fits = student.call("conv_output_size", n + 2 * p, n + 2 * p, 0, 1, own_code=True)
    if fits != 1:
        raise CheckFailed(f"conv_output_size({n + 2 * p}, {n + 2 * p}, 0, 1) gave {fits!r}; expected 1 "
                          "(a kernel exactly as long as the input fits once)")
    expect_rejected(student, "conv_output_size", (n, k, p, 1), {}, ("ValueError",),
                    f"a kernel of {k} does not fit in {n} + 2*{p}")
    expect_rejected(student, "conv_output_size", (n + 5, 3, p, 0), {}, ("ValueError",), "the stride is 0")


# ---------------------------------------------------------------- problem 4: out_channels=16

def _expect_conv_shapes(got, want, call):
    if not isinstance(got, dict):
        raise CheckFailed(f"{call} gave {describe(got)}; expected a dict with output, weight and bias")
    for key in ("output", "weight", "bias"):
        if key not in got:
            raise CheckFailed(f"{call} has no {key!r} entry")
        if want[key] is None:
            if got[key] is not None:
                raise CheckFailed(f"{call}[{key!r}] is {got[key]!r}; expected None (bias=False)")
        else:
            expect_shape(got[key], want[key], f"{call}[{key!r}]")


def _conv2d_shapes_case(student, input_shape, out_channels, kernel_size, stride, padding, bias):
    kwargs = {"stride": stride, "padding": padding, "bias": bias}
    got = student.call("conv2d_shapes", input_shape, out_channels, kernel_size, own_code=True, **kwargs)
    want = torch_conv_shapes(input_shape, out_channels, kernel_size, **kwargs)
    _expect_conv_shapes(got, want, describe_call("conv2d_shapes", (input_shape, out_channels, kernel_size), kwargs))


@behaviour
def conv2d_shapes_channel_lab(student, rng):
    """conv2d_shapes gives the channel lab's shapes: output (2, 8, 32, 32), weight (8, 3, 3, 3), bias (8,)."""
    _conv2d_shapes_case(student, (2, 3, 32, 32), 8, 3, 1, 1, True)


@behaviour
def channel_lab_16_shapes(student, rng):
    """channel_lab_16 holds the channel lab's input, output, weight and bias shapes with out_channels=16."""
    got = student.value("channel_lab_16")
    want = torch_conv_shapes((2, 3, 32, 32), 16, 3, padding=1)
    want["input"] = (2, 3, 32, 32)
    if not isinstance(got, dict):
        raise CheckFailed(f"channel_lab_16 is {describe(got)}; expected a dict")
    for key in ("input", "output", "weight", "bias"):
        if key not in got:
            raise CheckFailed(f"channel_lab_16 has no {key!r} entry")
        expect_shape(got[key], want[key], f"channel_lab_16[{key!r}]")


@behaviour
def conv2d_shapes_random(student, rng):
    """conv2d_shapes matches PyTorch's nn.Conv2d for random batch, channels, sizes, kernels, strides and paddings."""
    for _ in range(6):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 9, size=3))
        h, w = int(rng.integers(5, 40)), int(rng.integers(5, 40))
        k, s, p = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        _conv2d_shapes_case(student, (n, c_in, h, w), c_out, k, s, p, True)


@behaviour
def conv2d_shapes_pairs_and_no_bias(student, rng):
    """conv2d_shapes takes (height, width) pairs for kernel_size, stride and padding, and bias=False gives None."""
    for _ in range(4):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 9, size=3))
        h, w = int(rng.integers(8, 40)), int(rng.integers(8, 40))
        kernel = (int(rng.integers(1, 4)), int(rng.integers(4, 7)))
        stride = (int(rng.integers(1, 3)), int(rng.integers(2, 4)))
        padding = (int(rng.integers(0, 2)), int(rng.integers(2, 4)))
        _conv2d_shapes_case(student, (n, c_in, h, w), c_out, kernel, stride, padding, False)


# ---------------------------------------------------------------- problem 5: channels last -> first

def _expect_nchw(got, x, kind):
    call = f"to_nchw(x) with x {describe(x)}"
    if kind == "torch":
        import torch
        if not isinstance(got, torch.Tensor):
            raise CheckFailed(f"{call} (a torch tensor) gave {describe(got)}; expected a torch tensor")
        got_dtype, want_dtype, got_array = got.dtype, x.dtype, got.numpy()
        want = x.numpy().transpose(0, 3, 1, 2)
    else:
        if not isinstance(got, np.ndarray):
            raise CheckFailed(f"{call} (a numpy array) gave {describe(got)}; expected a numpy array")
        got_dtype, want_dtype, got_array = got.dtype, x.dtype, got
        want = x.transpose(0, 3, 1, 2)
    if tuple(got_array.shape) != want.shape:
        raise CheckFailed(f"{call} has shape {tuple(got_array.shape)}; expected {want.shape}")
    if got_dtype != want_dtype:
        raise CheckFailed(f"{call} changed the dtype from {want_dtype} to {got_dtype}")
    if not np.array_equal(got_array, want):
        raise CheckFailed(f"{call} has the right shape but the values moved to the wrong places "
                          f"(out[n, c, h, w] must be x[n, h, w, c])")


def _random_nhwc(rng, kind):
    """A random (N, H, W, C) array or tensor; H, W and C differ and C > 1, so a reshape cannot pass."""
    n, c = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    h = int(rng.integers(2, 6))
    shape = (n, h + c, h + c + 1, c)
    dtype = rng.choice(["float32", "float64", "int64", "uint8"])
    x = rng.integers(0, 255, size=shape).astype(dtype)
    if kind == "torch":
        import torch
        return torch.from_numpy(x)
    return x


@behaviour
def to_nchw_small(student, rng):
    """to_nchw turns a (2, 4, 5, 3) numpy array and torch tensor into shape (2, 3, 4, 5)."""
    for kind in ("numpy", "torch"):
        x = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3)
        if kind == "torch":
            import torch
            x = torch.from_numpy(x)
        _expect_nchw(student.call("to_nchw", x), x, kind)


@behaviour
def to_nchw_numpy_random(student, rng):
    """to_nchw moves every value of random numpy arrays to [n, c, h, w] and keeps the dtype."""
    for _ in range(3):
        x = _random_nhwc(rng, "numpy")
        _expect_nchw(student.call("to_nchw", x), x, "numpy")


@behaviour
def to_nchw_torch_random(student, rng):
    """to_nchw returns a torch tensor for a torch tensor, with every value at [n, c, h, w]."""
    for _ in range(3):
        x = _random_nhwc(rng, "torch")
        _expect_nchw(student.call("to_nchw", x), x, "torch")


@behaviour
def to_nchw_rejects_non_4d(student, rng):
    """to_nchw raises ValueError for an input that is not 4-D (N, H, W, C), and still accepts a 4-D one."""
    x = _random_nhwc(rng, "numpy")
    _expect_nchw(student.call("to_nchw", x), x, "numpy")
    for shape in [(4, 5, 3), (1, 2, 4, 5, 3)]:
        x = np.zeros(shape)
        expect_rejected(student, "to_nchw", (x,), {}, ("ValueError",), f"x has {len(shape)} dimensions, not 4")
