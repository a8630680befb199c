"""The hidden checks of conv-layers, run by the grader (never released, never in a sandbox).

Each hidden test region in layers.ipynb imports one of the check_* functions and calls it with the
student's functions (in the grader: proxies into the re-check sandbox). Every random input comes
from test_rng(), which the grader seeds for that student and that test; in the instructor's own
kernel (`nbgrader validate`) it has a fixed seed and the same code runs directly. The oracles are
PyTorch, run here in the grader: conv2d, the pooling functions, autograd (for the gradients, and
for the receptive field as the footprint of one output on the input) and its FLOP counter (for
the multiply-adds). The visible tests use values worked out by hand in the notebook's prompts.
"""
import numpy as np

from convgrade.compare import (CheckFailed, as_number_array, describe, describe_call, expect_array, expect_int,
                               expect_rejected, expect_shape, returned, test_rng)
from convgrade.replay import CallTimedOut

# The whole practice is numpy only: these are absent when the student's code runs.
FORBIDDEN_MODULES = ["convlab", "scipy", "torch"]
FORBIDDEN_REASON = "this practice asks for your own code with numpy (loops, slicing and numpy arithmetic)"


# ---------------------------------------------------------------- oracles (PyTorch)

def _torch():
    import torch
    return torch


def _tensor(array):
    return _torch().from_numpy(np.array(array, dtype=np.float64))


def torch_conv2d(x, weight, bias, stride=1, padding=0):
    """conv2d of one (C_in, H, W) image by PyTorch, as numpy."""
    torch = _torch()
    with torch.no_grad():
        out = torch.nn.functional.conv2d(_tensor(x)[None], _tensor(weight), _tensor(bias), stride=stride,
                                         padding=padding)
    return out[0].numpy()


def torch_pool_output_size(size, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Output length along one axis of PyTorch's max_pool2d."""
    torch = _torch()
    stride = kernel_size if stride is None else stride
    x = torch.zeros(1, 1, size, 1, dtype=torch.float64)
    return torch.nn.functional.max_pool2d(x, (kernel_size, 1), (stride, 1), (padding, 0), ceil_mode=ceil_mode).shape[2]


def torch_pool(mode, x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """max_pool2d or avg_pool2d (count_include_pad=True, the default) of a (C, H, W) array by PyTorch."""
    functional = _torch().nn.functional
    pool = functional.max_pool2d if mode == "max" else functional.avg_pool2d
    return pool(_tensor(x)[None], kernel_size, stride, padding, ceil_mode=ceil_mode)[0].numpy()


def torch_receptive_field(layers):
    """(size, jump, padding) of a stack of (kernel, stride, padding) layers, measured with autograd.

    The stack is run as 1-D convolutions with all-ones kernels on an all-ones input; the inputs
    that one output depends on are where its gradient is not 0. Three neighbouring outputs in the
    middle of a long input give the field's size, the step between fields (the jump) and where the
    fields start (output o's field starts at input o * jump - padding).
    """
    torch = _torch()
    n = 32
    while True:
        x = torch.ones(1, 1, n, dtype=torch.float64, requires_grad=True)
        y = x
        try:
            for kernel, stride, padding in layers:
                weight = torch.ones(1, 1, kernel, dtype=torch.float64)
                y = torch.nn.functional.conv1d(y, weight, stride=stride, padding=padding)
        except RuntimeError:  # the input is too short for the stack: try a longer one
            n *= 2
            continue
        length = y.shape[-1]
        if length >= 8:
            middle = length // 2
            spans = []
            for o in (middle - 1, middle, middle + 1):
                grad, = torch.autograd.grad(y[0, 0, o], x, retain_graph=True)
                hit = torch.nonzero(grad[0, 0]).flatten()
                spans.append((int(hit[0]), int(hit[-1])))
            sizes = {end - start + 1 for start, end in spans}
            jumps = {spans[1][0] - spans[0][0], spans[2][0] - spans[1][0]}
            size = sizes.pop()
            if not sizes and len(jumps) == 1 and spans[0][0] > 0 and spans[2][1] < n - 1 and n >= 4 * size:
                jump = jumps.pop()
                return size, jump, middle * jump - spans[1][0]
        n *= 2


def torch_network_costs(input_shape, layers):
    """[(output shape, parameters, multiply-adds)] per layer, from PyTorch modules and its FLOP counter."""
    torch = _torch()
    from torch.utils.flop_counter import FlopCounterMode
    nn = torch.nn
    x = torch.zeros(1, *input_shape)
    rows = []
    for layer in layers:
        if layer[0] == "conv":
            _, out_channels, kernel, stride, padding = layer
            module = nn.Conv2d(x.shape[1], out_channels, kernel, stride=stride, padding=padding)
        elif layer[0] == "pool":
            _, kernel, stride = layer
            module = nn.MaxPool2d(kernel, stride=stride)
        else:
            x = x.flatten(1)
            module = nn.Linear(x.shape[1], layer[1])
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            x = module(x)
        params = sum(p.numel() for p in module.parameters())
        rows.append((tuple(x.shape[1:]), params, counter.get_total_flops() // 2))  # a multiply-add is 2 FLOPs
    return rows


def torch_corr2d_grads(X, K, dY):
    """(dL/dX, dL/dK) of Y = corr2d(X, K) for dL/dY = dY, by autograd."""
    torch = _torch()
    x = _tensor(X).requires_grad_()
    k = _tensor(K).requires_grad_()
    y = torch.nn.functional.conv2d(x[None, None], k[None, None])[0, 0]
    y.backward(_tensor(dY))
    return x.grad.numpy(), k.grad.numpy()


# ---------------------------------------------------------------- inputs and messages

def random_array(rng, shape):
    """Numbers like 3.27 or -8.05: easy to read in a message, never all equal."""
    return rng.integers(-9, 10, size=shape).astype(float) + rng.random(shape).round(2)


def expect_value_error_naming(function, name, args, kwargs, argument, why):
    """The call must raise ValueError with `argument` in its message, because `why`."""
    call = describe_call(name, args, kwargs)
    try:
        got = function(*args, **kwargs)
    except CallTimedOut as error:
        raise CallTimedOut(f"{call}: {error}") from None
    except ValueError as error:
        if argument not in str(error):
            raise CheckFailed(f"{call} raised ValueError({str(error)!r}): the right error, but its message "
                              f"should name `{argument}`, because {why}") from None
        return
    except Exception as error:
        raise CheckFailed(f"{call} raised {type(error).__name__}: {error}; it should raise ValueError "
                          f"naming `{argument}`, because {why}") from None
    raise CheckFailed(f"{call} returned {describe(got)}; it should raise ValueError naming `{argument}`, "
                      f"because {why}")


def _shape_of(got, what):
    return as_number_array(got, what).shape


# ---------------------------------------------------------------- problem 1: conv2d_multi

def _conv_case(conv2d_multi, rng, c_in, c_out, size, kernel, stride=1, padding=0):
    x = random_array(rng, (c_in, *size))
    weight, bias = random_array(rng, (c_out, c_in, *kernel)), random_array(rng, (c_out,))
    kwargs = {"stride": stride, "padding": padding} if (stride, padding) != (1, 0) else {}
    got = returned(conv2d_multi, "conv2d_multi", x, weight, bias, **kwargs)
    what = (f"conv2d_multi(x, weight, bias{', ' if kwargs else ''}"
            f"{', '.join(f'{k}={v}' for k, v in kwargs.items())}) with x of shape {x.shape}, "
            f"weight of shape {weight.shape}")
    expect_array(got, torch_conv2d(x, weight, bias, stride, padding), what)


def check_conv2d_multi_random(conv2d_multi):
    rng = test_rng()
    for _ in range(4):
        c_in, c_out = int(rng.integers(2, 5)), int(rng.integers(1, 5))
        h, w = int(rng.integers(3, 9)), int(rng.integers(3, 9))
        kh, kw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        _conv_case(conv2d_multi, rng, c_in, c_out, (h, w), (kh, kw))


def check_conv2d_multi_stride_padding(conv2d_multi):
    rng = test_rng()
    for case in range(4):
        c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        stride, padding = int(rng.integers(2, 4)), int(rng.integers(0, 3))
        kh, kw = int(rng.integers(2, 4)), int(rng.integers(1, 4))
        h = int(rng.integers(kh, 10))
        if case == 0:  # the stride does not divide the distance the window travels: the last rows are skipped
            while (h + 2 * padding - kh) % stride == 0:
                h += 1
        w = int(rng.integers(max(kw, 3), 10))
        _conv_case(conv2d_multi, rng, c_in, c_out, (h, w), (kh, kw), stride, padding)


def check_conv2d_multi_edge_sizes(conv2d_multi):
    rng = test_rng()
    h, w = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    c_in = int(rng.integers(1, 4))
    _conv_case(conv2d_multi, rng, c_in, 2, (h, w), (h, w))  # the kernel covers the image: one value per channel
    _conv_case(conv2d_multi, rng, c_in, 3, (h, w), (1, 1))  # 1x1: a weighted sum of the channels at each pixel
    _conv_case(conv2d_multi, rng, 1, 1, (1, w + 3), (1, w))  # one row
    _conv_case(conv2d_multi, rng, c_in, 2, (h, w), (h + 2, w + 2), padding=1)  # the kernel covers the padded image


def check_conv2d_multi_rejects_impossible(conv2d_multi):
    rng = test_rng()
    c_in, c_out = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    h, w = int(rng.integers(4, 8)), int(rng.integers(4, 8))
    x = random_array(rng, (c_in, h, w))
    weight, bias = random_array(rng, (c_out, c_in, 3, 3)), random_array(rng, (c_out,))
    fits = returned(conv2d_multi, "conv2d_multi", x, weight, bias)
    if _shape_of(fits, "conv2d_multi(x, weight, bias)") != (c_out, h - 2, w - 2):
        raise CheckFailed(f"conv2d_multi(x, weight, bias) with x of shape {x.shape} and weight of shape "
                          f"{weight.shape} gave {describe(fits)}; expected shape {(c_out, h - 2, w - 2)}")
    cases = [
        ((x, random_array(rng, (c_out, c_in + 1, 3, 3)), bias), {}, "weight",
         f"its kernels have {c_in + 1} input channels and x has {c_in}"),
        ((x, weight, random_array(rng, (c_out + 1,))), {}, "bias",
         f"there are {c_out} output channels, so bias must have shape ({c_out},)"),
        ((x, weight, bias), {"stride": 0}, "stride", "a stride below 1 never moves the window"),
        ((x, weight, bias), {"padding": -1}, "padding", "padding cannot be negative"),
        ((x, random_array(rng, (c_out, c_in, h + 3, 2)), bias), {"padding": 1}, "weight",
         f"a kernel {h + 3} high does not fit in {h} + 2*1 rows"),
    ]
    for args, kwargs, argument, why in cases:
        expect_value_error_naming(conv2d_multi, "conv2d_multi", args, kwargs, argument, why)


# ---------------------------------------------------------------- problem 2: pooling

def _pool_geometry(rng):
    """(size, kernel_size, stride, padding) that PyTorch accepts (padding at most kernel_size / 2)."""
    kernel = int(rng.integers(1, 6))
    stride = int(rng.integers(1, 4))
    padding = int(rng.integers(0, kernel // 2 + 1))
    size = int(rng.integers(max(1, kernel - 2 * padding), 16))
    return size, kernel, stride, padding


def _dropped_window(rng):
    """A geometry where ceil_mode's extra window would start past the input: PyTorch drops it."""
    while True:
        kernel = int(rng.integers(2, 6))
        padding = int(rng.integers(1, kernel // 2 + 1))
        stride = int(rng.integers(kernel - padding + 1, kernel + 2))
        size = int(rng.integers(kernel, 16))
        span = size + 2 * padding - kernel
        if span % stride and (-(-span // stride)) * stride >= size + padding:
            return size, kernel, stride, padding


def _extra_window(rng):
    """A geometry where ceil_mode adds a window that floor mode leaves out (it starts inside the input)."""
    while True:
        kernel = int(rng.integers(1, 6))
        padding = int(rng.integers(0, kernel // 2 + 1))
        stride = int(rng.integers(2, 5))
        size = int(rng.integers(max(1, kernel - 2 * padding), 16))
        span = size + 2 * padding - kernel
        if span % stride and (-(-span // stride)) * stride < size + padding:
            return size, kernel, stride, padding


def _floor_matters(rng):
    """A geometry where rounding the output size to nearest would give one window too many."""
    while True:
        kernel = int(rng.integers(1, 6))
        padding = int(rng.integers(0, kernel // 2 + 1))
        stride = int(rng.integers(3, 5))
        size = int(rng.integers(max(1, kernel - 2 * padding), 20))
        if (size + 2 * padding - kernel) % stride == stride - 1:  # a remainder of at least 2/3 of the stride
            return size, kernel, stride, padding


def _pool_size_case(pool_output_size, size, kernel, stride, padding, ceil_mode):
    kwargs = {"stride": stride, "padding": padding, "ceil_mode": ceil_mode}
    got = returned(pool_output_size, "pool_output_size", size, kernel, **kwargs)
    expect_int(got, torch_pool_output_size(size, kernel, stride, padding, ceil_mode),
               describe_call("pool_output_size", (size, kernel), kwargs))


def check_pool_output_size_random(pool_output_size):
    rng = test_rng()
    for case in range(12):
        ceil_mode = case % 2 == 1
        geometry = {0: _floor_matters, 1: _extra_window, 5: _extra_window, 9: _dropped_window,
                    11: _dropped_window}.get(case, _pool_geometry)
        size, kernel, stride, padding = geometry(rng)
        _pool_size_case(pool_output_size, size, kernel, stride, padding, ceil_mode)
    kernel = int(rng.integers(2, 6))  # stride=None: the window size, as in nn.MaxPool2d(kernel)
    size = int(rng.integers(kernel, 20))
    got = returned(pool_output_size, "pool_output_size", size, kernel)
    expect_int(got, torch_pool_output_size(size, kernel), describe_call("pool_output_size", (size, kernel)))


def check_pool_output_size_rejects_impossible(pool_output_size):
    rng = test_rng()
    kernel = int(rng.integers(2, 6))
    size = int(rng.integers(kernel + 2, 16))
    fits = returned(pool_output_size, "pool_output_size", size, kernel, stride=1, padding=kernel // 2)
    expect_int(fits, torch_pool_output_size(size, kernel, 1, kernel // 2),
               describe_call("pool_output_size", (size, kernel), {"stride": 1, "padding": kernel // 2}))
    cases = [
        ((size, kernel), {"padding": kernel // 2 + 1}, "padding",
         f"PyTorch allows at most kernel_size // 2 = {kernel // 2} of padding"),
        ((size, kernel), {"padding": -1}, "padding", "padding cannot be negative"),
        ((size, kernel), {"stride": 0}, "stride", "a stride below 1 never moves the window"),
        ((size, 0), {"stride": 1}, "kernel_size", "a window must hold at least one element"),
        ((kernel - 1, kernel + 2), {"stride": 1, "padding": 1}, "kernel_size",
         f"a window of {kernel + 2} does not fit in {kernel - 1} + 2*1"),
    ]
    for args, kwargs, argument, why in cases:
        expect_value_error_naming(pool_output_size, "pool_output_size", args, kwargs, argument, why)


def _pool_case(function, mode, rng, channels, size, kernel, stride, padding, ceil_mode):
    x = random_array(rng, (channels, *size))
    kwargs = {}
    if stride is not None:
        kwargs["stride"] = stride
    if padding != 0:
        kwargs["padding"] = padding
    if ceil_mode:
        kwargs["ceil_mode"] = True
    name = f"{mode}_pool2d"
    got = returned(function, name, x, kernel, **kwargs)
    want = torch_pool(mode, x, kernel, stride, padding, ceil_mode)
    expect_array(got, want, describe_call(name, (x, kernel), kwargs))


def _pool_cases(rng, ceil_mode):
    """Five (channels, (H, W), kernel, stride, padding): ints and (height, width) pairs, rectangles."""
    cases = []
    for case in range(5):
        (h, kh, sh, ph), (w, kw, sw, pw) = _pool_geometry(rng), _pool_geometry(rng)
        if not ceil_mode and case == 0:
            (h, kh, sh, ph), (w, kw, sw, pw) = _floor_matters(rng), _floor_matters(rng)
        if ceil_mode and case == 0:
            h, kh, sh, ph = _dropped_window(rng)
        if ceil_mode and case in (0, 3):
            w, kw, sw, pw = _extra_window(rng)
        if case in (1, 2):  # one int for both axes
            k, s, p = max(kh, kw), min(sh, sw), min(ph, pw, max(kh, kw) // 2)
            h, w = max(h, k), max(w, k)
            cases.append((int(rng.integers(1, 4)), (h, w), k, s if case == 1 else None, p))
        else:
            cases.append((int(rng.integers(1, 4)), (h, w), (kh, kw), (sh, sw), (ph, pw)))
    return cases


def check_max_pool2d_random(max_pool2d):
    rng = test_rng()
    for channels, size, kernel, stride, padding in _pool_cases(rng, False):
        _pool_case(max_pool2d, "max", rng, channels, size, kernel, stride, padding, False)
    # all-negative values with padding: the padding (-inf) must never win
    x = random_array(rng, (2, 5, 6)) - 20
    got = returned(max_pool2d, "max_pool2d", x, 3, stride=2, padding=1)
    expect_array(got, torch_pool("max", x, 3, 2, 1), describe_call("max_pool2d", (x, 3), {"stride": 2, "padding": 1})
                 + " with every value of x below 0")


def check_max_pool2d_ceil_mode(max_pool2d):
    rng = test_rng()
    for channels, size, kernel, stride, padding in _pool_cases(rng, True):
        _pool_case(max_pool2d, "max", rng, channels, size, kernel, stride, padding, True)


def check_avg_pool2d_random(avg_pool2d):
    rng = test_rng()
    for channels, size, kernel, stride, padding in _pool_cases(rng, False):
        _pool_case(avg_pool2d, "avg", rng, channels, size, kernel, stride, padding, False)
    # padding on both axes: its zeros count in every mean (count_include_pad=True)
    _pool_case(avg_pool2d, "avg", rng, 2, (5, 6), 3, 2, 1, False)


def check_avg_pool2d_ceil_mode(avg_pool2d):
    rng = test_rng()
    for channels, size, kernel, stride, padding in _pool_cases(rng, True):
        _pool_case(avg_pool2d, "avg", rng, channels, size, kernel, stride, padding, True)
    # windows that hang past the padding: PyTorch divides by the part inside the padded input
    size, kernel, stride, padding = 4 + 2 * int(rng.integers(0, 3)), 3, 2, 1
    _pool_case(avg_pool2d, "avg", rng, 1, (size, size + 2), kernel, stride, padding, True)


# ---------------------------------------------------------------- problem 3: receptive field

def _expect_field(got, layers):
    what = f"receptive_field({layers!r})"
    want = torch_receptive_field(layers)
    if not (isinstance(got, (tuple, list)) and len(got) == 3):
        raise CheckFailed(f"{what} gave {describe(got)}; expected a tuple (size, jump, padding)")
    for value, expected, part in zip(got, want, ("size", "jump", "padding")):
        expect_int(value, expected, f"the {part} from {what} (all three should be {want})")


def _random_layer(rng):
    kernel = int(rng.integers(1, 8))
    return kernel, int(rng.integers(1, 4)), int(rng.integers(0, kernel // 2 + 1))


def check_receptive_field_random(receptive_field):
    rng = test_rng()
    for _ in range(6):
        layers = [_random_layer(rng) for _ in range(int(rng.integers(2, 6)))]
        _expect_field(returned(receptive_field, "receptive_field", layers), layers)


def check_receptive_field_edge_cases(receptive_field):
    rng = test_rng()
    single = [_random_layer(rng)]
    pointwise = [(1, int(rng.integers(1, 4)), 0) for _ in range(3)]  # 1x1 layers only move the grid
    strided_first = [(2, 2, 0), (int(rng.integers(2, 6)), 1, 1)]
    for layers in ([], single, pointwise, strided_first):
        _expect_field(returned(receptive_field, "receptive_field", layers), layers)


# ---------------------------------------------------------------- problem 4: network costs

def _expect_costs(got, input_shape, layers):
    what = f"network_costs({input_shape!r}, layers)"
    want = torch_network_costs(input_shape, layers)
    if not isinstance(got, (tuple, list)) or len(got) != len(want):
        raise CheckFailed(f"{what} for the {len(layers)} layers {layers!r} gave {describe(got)}; "
                          f"expected a list of {len(want)} rows")
    for index, (row, (shape, params, macs)) in enumerate(zip(got, want)):
        where = f"row {index} of {what}, for layer {layers[index]!r}"
        if not (isinstance(row, (tuple, list)) and len(row) == 3):
            raise CheckFailed(f"{where} is {describe(row)}; expected (output_shape, params, macs)")
        expect_shape(row[0], shape, f"the output shape in {where}")
        expect_int(row[1], params, f"the parameter count in {where}")
        expect_int(row[2], macs, f"the multiply-add count in {where}")


def random_network(rng):
    """A LeNet-like stack (conv, pool, conv, pool, fc, fc) on a rectangular input that it fits."""
    while True:
        input_shape = (int(rng.integers(1, 4)), int(rng.integers(14, 33)), int(rng.integers(14, 33)))
        layers = [("conv", int(rng.integers(2, 9)), int(rng.integers(3, 6)), int(rng.integers(1, 3)),
                   int(rng.integers(0, 3))),
                  ("pool", int(rng.integers(2, 4)), int(rng.integers(1, 3))),
                  ("conv", int(rng.integers(4, 17)), int(rng.integers(1, 4)), 1, int(rng.integers(0, 2))),
                  ("pool", 2, 2),
                  ("fc", int(rng.integers(10, 65))),
                  ("fc", int(rng.integers(2, 11)))]
        try:
            torch_network_costs(input_shape, layers)
        except RuntimeError:  # a layer does not fit its input: draw again
            continue
        return input_shape, layers


def check_network_costs_random(network_costs):
    rng = test_rng()
    for _ in range(3):
        input_shape, layers = random_network(rng)
        _expect_costs(returned(network_costs, "network_costs", input_shape, layers), input_shape, layers)
    # a convolution straight into the classifier, no pooling
    input_shape = (int(rng.integers(1, 4)), int(rng.integers(5, 12)), int(rng.integers(5, 12)))
    layers = [("conv", int(rng.integers(2, 6)), 3, 1, 1), ("fc", int(rng.integers(2, 10)))]
    _expect_costs(returned(network_costs, "network_costs", input_shape, layers), input_shape, layers)


def check_network_costs_rejects_impossible(network_costs):
    rng = test_rng()
    input_shape, layers = random_network(rng)
    fits = returned(network_costs, "network_costs", input_shape, layers)
    if not isinstance(fits, (tuple, list)) or len(fits) != len(layers):
        raise CheckFailed(f"network_costs({input_shape!r}, {layers!r}) gave {describe(fits)}; "
                          f"expected a list of {len(layers)} rows")
    small = (1, 6, 6)
    lenet = [("conv", 6, 5, 1, 2), ("pool", 2, 2), ("conv", 16, 5, 1, 0), ("pool", 2, 2), ("fc", 10)]
    cases = [
        ((small, lenet), "on a 6 x 6 input the second convolution's 5 x 5 kernel meets a 3 x 3 feature map"),
        ((input_shape, layers[:2] + [("dropout", 0.5)] + layers[2:]), "'dropout' is not a kind of layer here"),
        ((input_shape, layers[:1] + [("fc", 10), ("conv", 4, 1, 1, 0)]),
         "a convolution cannot follow a fully connected layer (its input has no height and width)"),
    ]
    for args, why in cases:
        expect_rejected(network_costs, "network_costs", args, {}, (ValueError,), why)


# ---------------------------------------------------------------- problem 5: gradients

def _grad_case(grad_kernel, grad_input, rng, image_shape, kernel_shape):
    X, K = random_array(rng, image_shape), random_array(rng, kernel_shape)
    dY = random_array(rng, (image_shape[0] - kernel_shape[0] + 1, image_shape[1] - kernel_shape[1] + 1))
    dX, dK = torch_corr2d_grads(X, K, dY)
    if grad_kernel is not None:
        expect_array(returned(grad_kernel, "grad_kernel", X, dY), dK,
                     f"grad_kernel(X, dY) with X of shape {X.shape} and dY of shape {dY.shape} (a {K.shape} kernel)")
    if grad_input is not None:
        expect_array(returned(grad_input, "grad_input", dY, K), dX,
                     f"grad_input(dY, K) with dY of shape {dY.shape} and K of shape {K.shape} (X was {X.shape})")


def _random_shapes(rng):
    h, w = int(rng.integers(3, 9)), int(rng.integers(3, 9))
    kh, kw = rng.choice(np.arange(2, min(h, w) + 1), size=2) if min(h, w) > 2 else (2, 2)
    if kh == kw:  # a square kernel could hide a transposed result
        kw = kh - 1 if kh > 2 else kh + 1
    return (h, w + 1), (int(kh), int(kw))


def check_grad_kernel_random(grad_kernel):
    rng = test_rng()
    for _ in range(4):
        _grad_case(grad_kernel, None, rng, *_random_shapes(rng))


def check_grad_input_random(grad_input):
    rng = test_rng()
    for _ in range(4):
        _grad_case(None, grad_input, rng, *_random_shapes(rng))


def check_gradients_edge_sizes(grad_kernel, grad_input):
    rng = test_rng()
    h, w = int(rng.integers(2, 6)), int(rng.integers(3, 7))
    for kernel_shape in [(h, w), (1, 1), (1, w - 1), (h, 1)]:
        _grad_case(grad_kernel, grad_input, rng, (h, w), kernel_shape)


__all__ = [name for name in dir() if not name.startswith("_")]
