"""convlab's conv2d and pools against PyTorch, the oracle, over random configurations."""
import importlib.util
import pathlib
from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import convlab
from convlab import _conv


def _benchmark(name):
    """Import benchmarks/<name>.py (a folder of scripts, not a package)."""
    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH_CASES = _benchmark("bench_conv").CONV2D_CASES
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


def _tensor(a):
    return torch.from_numpy(np.ascontiguousarray(a))


LAYOUTS = ["contiguous", "channels-last view", "fortran", "every other column"]


def _laid_out(a, layout):
    """The same values as `a` in another memory layout: conv2d must not depend on strides."""
    if layout == "channels-last view":
        return np.ascontiguousarray(np.moveaxis(a, -3, -1)).transpose(*range(a.ndim - 3), -1, -3, -2)
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "every other column":
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        wide[..., ::2] = a
        return wide[..., ::2]
    return a


@st.composite
def conv_cases(draw, depthwise=False):
    """Random conv2d arguments; depthwise: groups == C_in == C_out (one input channel per output)."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    groups = draw(st.integers(1, 3))
    c_in = groups * (1 if depthwise else draw(st.integers(1, 3)))
    c_out = groups * (1 if depthwise else draw(st.integers(1, 3)))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    same = draw(st.booleans())
    if same:
        stride, padding = (1, 1), "same"
        ph = pw = 0
    else:
        stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        padding = draw(st.sampled_from([(ph, pw), "valid", ph]))
        if padding == "valid":
            ph = pw = 0
        elif padding == ph:
            pw = ph
    # an input at least as large as the dilated kernel, once padded
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * ph), 12))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * pw), 12))
    batched = draw(st.booleans())
    n = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, h, w) if batched else (c_in, h, w)).astype(dtype)
    weight = rng.standard_normal((c_out, c_in // groups, kh, kw)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype) if draw(st.booleans()) else None
    x, weight = _laid_out(x, draw(st.sampled_from(LAYOUTS))), _laid_out(weight, draw(st.sampled_from(LAYOUTS)))
    return x, weight, bias, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _check_against_torch(case):
    x, weight, bias, kwargs = case
    ours = convlab.conv2d(x, weight, bias, **kwargs)
    theirs = F.conv2d(_tensor(x), _tensor(weight), None if bias is None else _tensor(bias), **kwargs).numpy()
    assert ours.shape == theirs.shape
    assert ours.dtype == x.dtype
    np.testing.assert_allclose(ours, theirs, **TOL[x.dtype.type])


# torch (the oracle) warns that it copies the input for 'same' with an even kernel: not our concern
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@settings(max_examples=300, deadline=None)
@given(conv_cases())
def test_conv2d_matches_torch(case):
    _check_against_torch(case)


# Each algorithm of _conv.py on its own, whatever the cost model would pick, with chunks and
# blocks small enough that several of them (and their edges) are computed.
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@pytest.mark.parametrize("path", ["runs", "shifted"])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_each_conv2d_algorithm_matches_torch(path, data):
    case = data.draw(conv_cases(depthwise=path == "shifted"))
    budget = data.draw(st.sampled_from([_conv.RUNS_BUDGET, 1, 50, 400]))
    block = data.draw(st.sampled_from([_conv.SHIFT_BLOCK, 1, 7]))
    with mock.patch.object(_conv, "choose", return_value=path), \
            mock.patch.object(_conv, "RUNS_BUDGET", budget), mock.patch.object(_conv, "SHIFT_BLOCK", block):
        _check_against_torch(case)


# The benchmark's shapes (benchmarks/bench_conv.py), in float64 so that a wrong index cannot
# hide in float32 rounding: large images, many channels, strides, groups, dilation.
@pytest.mark.parametrize("case", BENCH_CASES, ids=[c[0] for c in BENCH_CASES])
def test_conv2d_matches_torch_on_the_benchmark_shapes(case):
    _, x_shape, w_shape, kwargs = case
    rng = np.random.default_rng(0)
    x, weight, bias = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    ours = convlab.conv2d(x, weight, bias, **kwargs)
    theirs = F.conv2d(_tensor(x), _tensor(weight), _tensor(bias), **kwargs).numpy()
    np.testing.assert_allclose(ours, theirs, **TOL[np.float64])


@st.composite
def pool_cases(draw, with_dilation):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.sampled_from([None, (draw(st.integers(1, 3)), draw(st.integers(1, 3)))]))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if with_dilation else (1, 1)
    ceil_mode = draw(st.booleans())
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 11))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 11))
    shape = draw(st.sampled_from([(draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w), (draw(st.integers(1, 3)), h, w)]))
    x = np.random.default_rng(draw(st.integers(0, 2**31 - 1))).standard_normal(shape).astype(dtype)
    kwargs = dict(kernel_size=(kh, kw), stride=stride, padding=padding, ceil_mode=ceil_mode)
    if with_dilation:
        kwargs["dilation"] = dilation
    return x, kwargs


@settings(max_examples=300, deadline=None)
@given(pool_cases(with_dilation=True))
def test_max_pool2d_matches_torch(case):
    x, kwargs = case
    ours = convlab.max_pool2d(x, **kwargs)
    theirs = F.max_pool2d(_tensor(x), **kwargs).numpy()
    assert ours.shape == theirs.shape and ours.dtype == x.dtype
    np.testing.assert_array_equal(ours, theirs)


@settings(max_examples=300, deadline=None)
@given(pool_cases(with_dilation=False), st.booleans())
def test_avg_pool2d_matches_torch(case, count_include_pad):
    x, kwargs = case
    ours = convlab.avg_pool2d(x, count_include_pad=count_include_pad, **kwargs)
    theirs = F.avg_pool2d(_tensor(x), count_include_pad=count_include_pad, **kwargs).numpy()
    assert ours.shape == theirs.shape and ours.dtype == x.dtype
    np.testing.assert_allclose(ours, theirs, **TOL[x.dtype.type])


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 40),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    ceil_mode=st.booleans(),
)
def test_output_size_matches_torch_shapes(n, k, s, p, d, ceil_mode):
    """output_size agrees with torch's conv (floor) and max-pool (ceil_mode) shapes, and raises where torch does."""
    x = torch.zeros(1, 1, n, n)
    try:
        if ceil_mode:
            expected = F.max_pool2d(x, k, s, p, d, ceil_mode=True).shape[-1]
        else:
            expected = F.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-1]
    except RuntimeError:
        expected = None
    if ceil_mode and p > k // 2:
        return  # torch refuses pooling padding over half the kernel; output_size is a pure size formula
    if expected is None:
        with pytest.raises(ValueError, match="larger than the padded input"):
            convlab.output_size(n, k, s, p, d, ceil_mode)
    else:
        assert convlab.output_size(n, k, s, p, d, ceil_mode) == expected


@st.composite
def single_channel_cases(draw, max_size):
    """A random image X (H, W) and a kernel K that fits in it, plus torch's valid correlation of the two."""
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    kh, kw = draw(st.integers(1, min(4, h))), draw(st.integers(1, min(4, w)))
    rng = np.random.default_rng(draw(st.integers(0, 10**6)))
    X, K = rng.standard_normal((h, w)), rng.standard_normal((kh, kw))
    return X, K, F.conv2d(_tensor(X)[None, None], _tensor(K)[None, None])[0, 0].numpy()


@settings(max_examples=100, deadline=None)
@given(single_channel_cases(max_size=9))
def test_corr2d_and_loops_match_torch(case):
    X, K, expected = case
    np.testing.assert_allclose(convlab.corr2d(X, K), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(convlab.corr2d_loops(X, K), expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(single_channel_cases(max_size=8))
def test_corr2d_matrix_reproduces_corr2d(case):
    X, K, expected = case
    (h, w), (kh, kw) = X.shape, K.shape
    M = convlab.corr2d_matrix((h, w), K)
    assert M.shape == ((h - kh + 1) * (w - kw + 1), h * w)
    np.testing.assert_allclose(M @ X.ravel(), expected.ravel(), rtol=1e-10, atol=1e-12)


def test_integer_inputs_become_float64():
    x = np.arange(16).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 2, 2), dtype=np.int32)
    out = convlab.conv2d(x, w)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, F.conv2d(torch.tensor(x, dtype=torch.float64), torch.ones(1, 1, 2, 2, dtype=torch.float64)).numpy())
    assert convlab.corr2d([[1, 2], [3, 4]], [[1]]).dtype == np.float64
    assert convlab.max_pool2d(x, 2).dtype == np.float64


def test_float32_stays_float32():
    x = np.ones((1, 1, 4, 4), dtype=np.float32)
    assert convlab.conv2d(x, np.ones((1, 1, 3, 3), dtype=np.float32)).dtype == np.float32
    assert convlab.avg_pool2d(x, 2).dtype == np.float32
    assert convlab.corr2d(x[0, 0], np.ones((2, 2), dtype=np.float32)).dtype == np.float32


@st.composite
def tied_pool_cases(draw):
    """Pool cases whose inputs are small integers (many ties), sometimes with -inf and NaN entries."""
    x, kwargs = draw(pool_cases(with_dilation=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.integers(-2, 3, size=x.shape).astype(x.dtype)
    for special in (-np.inf, np.nan):
        if draw(st.booleans()):
            x[rng.random(x.shape) < 0.2] = special
    return x, kwargs


@settings(max_examples=400, deadline=None)
@given(st.one_of(pool_cases(with_dilation=True), tied_pool_cases()))
def test_max_pool2d_return_indices_matches_torch(case):
    """The values and the winners' flat indices, ties, -inf-only windows and NaNs included."""
    x, kwargs = case
    ours, ours_idx = convlab.max_pool2d(x, return_indices=True, **kwargs)
    theirs, theirs_idx = F.max_pool2d(_tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(ours, theirs.numpy())
    assert ours_idx.dtype == np.int64 and ours_idx.shape == tuple(theirs_idx.shape)
    np.testing.assert_array_equal(ours_idx, theirs_idx.numpy())
    np.testing.assert_array_equal(ours, convlab.max_pool2d(x, **kwargs))  # same values without indices


def test_max_pool2d_indices_by_hand():
    # 4 x 4 input 0..15 with 2 x 2 windows: each window's maximum is its bottom-right entry
    x = np.arange(16.0).reshape(1, 4, 4)
    out, indices = convlab.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(out, [[[5, 7], [13, 15]]])
    np.testing.assert_array_equal(indices, [[[5, 7], [13, 15]]])
    # with padding 1 and stride 1 on a 2 x 2 input, every window holds the single 3 at (1, 1) or less
    out, indices = convlab.max_pool2d(np.array([[[1.0, 2.0], [0.0, 3.0]]]), 2, stride=1, padding=1,
                                      return_indices=True)
    np.testing.assert_array_equal(indices, [[[0, 1, 1], [0, 3, 3], [2, 3, 3]]])
