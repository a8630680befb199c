"""Receptive fields derived by hand and from a published table; output sizes by hand."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convlab


def test_stacked_3x3_by_hand():
    # each 3x3 stride-1 layer adds 2 pixels: 3, 5, 7
    assert [rf.size for rf in convlab.receptive_field([(3, 1, 1)] * 3)] == [3, 5, 7]
    assert [rf.stride for rf in convlab.receptive_field([(3, 1, 1)] * 3)] == [1, 1, 1]
    assert [rf.padding for rf in convlab.receptive_field([(3, 1, 1)] * 3)] == [1, 2, 3]


def test_two_layer_2x2_of_doc_002():
    # 2x2 on the 3x3 input: each output sees 2x2 = 4 inputs; a second 2x2 layer sees 3x3 = 9
    sizes = [rf.size for rf in convlab.receptive_field([(2, 1, 0), (2, 1, 0)])]
    assert [s * s for s in sizes] == [4, 9]


def test_stride_multiplies_the_growth_by_hand():
    # conv 3/s2 -> r 3, jump 2; next conv 3/s1 adds (3-1)*2 = 4 -> 7; pool 2/s2 adds (2-1)*2 = 2 -> 9, jump 4
    rfs = convlab.receptive_field([(3, 2, 1), (3, 1, 1), (2, 2, 0)])
    assert [(rf.size, rf.stride, rf.padding) for rf in rfs] == [(3, 2, 1), (7, 2, 3), (9, 4, 3)]


def test_dilation_by_hand():
    # a 3x3 kernel with dilation 2 spans 5 pixels; stacking dilations 1, 2, 4 gives 3, 7, 15
    assert [rf.size for rf in convlab.receptive_field([(3, 1, 1, 1), (3, 1, 2, 2), (3, 1, 4, 4)])] == [3, 7, 15]


def _influence(layers, n=64):
    """Measure the receptive field empirically: which inputs change the centre output (torch autograd)."""
    x = torch.zeros(1, 1, n, n, requires_grad=True)
    y = x
    for k, s, p, *d in layers:
        w = torch.ones(1, 1, k, k)
        y = F.conv2d(y, w, stride=s, padding=p, dilation=d[0] if d else 1)
    c = y.shape[-1] // 2
    y[0, 0, c, c].backward()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
    return int(cols.max() - cols.min() + 1)


@pytest.mark.parametrize(
    "layers",
    [[(3, 1, 1)] * 4, [(5, 2, 2), (3, 1, 1), (3, 2, 1)], [(3, 1, 1, 2), (3, 2, 1), (2, 1, 0)], [(7, 2, 3), (3, 2, 1), (3, 1, 1)]],
)
def test_receptive_field_matches_autograd_footprint(layers):
    assert convlab.receptive_field(layers)[-1].size == _influence(layers)


def vgg16():
    layers = []
    for n in [2, 2, 3, 3, 3]:
        layers += [(3, 1, 1)] * n + [(2, 2, 0)]
    return layers


def alexnet():
    return [(11, 4, 0), (3, 2, 0), (5, 1, 2), (3, 2, 0), (3, 1, 1), (3, 1, 1), (3, 1, 1), (3, 2, 0)]


def resnet50_v1():
    """TF-slim resnet_v1_50 (the published table's model): the stride sits in each stage's last unit."""
    layers = [(7, 2, 3), (3, 2, 1)]
    for units, stride in [(3, 2), (4, 2), (6, 2), (3, 1)]:
        for unit in range(units):
            layers += [(1, 1, 0), (3, stride if unit == units - 1 else 1, 1), (1, 1, 0)]
    return layers


@pytest.mark.parametrize(
    "layers, size, stride",
    # Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019, table 1
    [(alexnet(), 195, 32), (vgg16(), 212, 32), (resnet50_v1(), 483, 32)],
)
def test_published_receptive_fields(layers, size, stride):
    rf = convlab.receptive_field(layers)[-1]
    assert (rf.size, rf.stride) == (size, stride)


def test_output_size_by_hand():
    assert convlab.output_size(6, 3, stride=2, padding=1) == 3  # floor((6 + 2 - 3) / 2) + 1
    assert convlab.output_size(32, 3, padding=1) == 32
    assert convlab.output_size(7, 3, dilation=2) == 3  # span 5: 7 - 5 + 1
    assert convlab.output_size(5, 2, stride=2) == 2
    assert convlab.output_size(5, 2, stride=2, ceil_mode=True) == 3
    assert convlab.output_size(224, 7, stride=2, padding=3) == 112


def test_derivative_kernels():
    np.testing.assert_array_equal(convlab.derivative_kernel(1), [[1, -1]])
    np.testing.assert_array_equal(convlab.derivative_kernel(2), [[1, -2, 1]])
    np.testing.assert_array_equal(convlab.derivative_kernel(3, axis="y"), [[1], [-3], [3], [-1]])
    # the d-th difference of x**d is constant d! (times (-1)**d), the defining property
    x = np.arange(12.0)
    for d in range(1, 5):
        out = convlab.corr2d((x**d)[None, :], convlab.derivative_kernel(d))
        np.testing.assert_allclose(out, (-1) ** d * math.factorial(d))
