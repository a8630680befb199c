"""Every lab of the source documents, reproduced: expected values are the documents' printed outputs
(checked by hand), shapes are checked against torch.nn modules."""
import numpy as np
import pytest
import torch
from torch import nn

import convlab


def test_manual_lab_matches_documented_output():
    out = convlab.corr2d(convlab.manual_lab_image(), convlab.manual_lab_kernel())
    expected = np.array([[-2, 2, -4], [4, 0, -1], [0, 0, 1]], dtype=float)  # doc 000/001's printed output
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(convlab.corr2d_loops(convlab.manual_lab_image(), convlab.manual_lab_kernel()), expected)


def test_manual_lab_out_1_0_window_and_value():
    """The documents' reference answer names window [1, 2; 4, 5]; the real window is [[5, 3], [2, 1]]."""
    image = convlab.manual_lab_image()
    window = image[1:3, 0:2]
    np.testing.assert_array_equal(window, [[5, 3], [2, 1]])
    assert 5 * 1 + 3 * 0 + 2 * 0 + 1 * (-1) == 4  # by hand
    assert convlab.corr2d(image, convlab.manual_lab_kernel())[1, 0] == 4


def test_classic_3x3_example():
    out = convlab.corr2d(convlab.corr_example_input(), convlab.corr_example_kernel())
    # by hand: 0*0+1*1+3*2+4*3 = 19, 1*0+2*1+4*2+5*3 = 25, 3*0+4*1+6*2+7*3 = 37, 4*0+5*1+7*2+8*3 = 43
    np.testing.assert_array_equal(out, [[19, 25], [37, 43]])


def test_edge_lab():
    out = convlab.corr2d(convlab.edge_lab_image(), convlab.edge_lab_kernel())
    expected = np.zeros((5, 4))
    expected[1:4, 1] = 1  # doc 000's printed output: 1 where 0 turns into 1
    np.testing.assert_array_equal(out, expected)


def test_stripes_with_edge_kernel():
    out = convlab.corr2d(convlab.stripes_image(), convlab.kernel("edge"))
    expected = np.zeros((6, 7))
    expected[:, 1], expected[:, 5] = 1, -1  # doc 002's printed tensor
    np.testing.assert_array_equal(out, expected)


def test_learn_kernel_recovers_edge_detector():
    X = convlab.stripes_image()
    Y = convlab.corr2d(X, np.array([[1.0, -1.0]]))
    K, losses = convlab.learn_kernel(X, Y, (1, 2), lr=0.03, epochs=10)
    assert losses.shape == (10,)
    assert losses[-1] < losses[0] / 100
    np.testing.assert_allclose(K, [[1, -1]], atol=0.05)
    K_long, _ = convlab.learn_kernel(X, Y, (1, 2), lr=0.03, epochs=60)
    np.testing.assert_allclose(K_long, [[1, -1]], atol=1e-6)


def test_learn_kernel_gradient_matches_autograd():
    """One step of learn_kernel equals one step of torch autograd on the same loss."""
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((5, 6)), rng.standard_normal((4, 4))
    K0 = np.random.default_rng(7).standard_normal((2, 3))  # learn_kernel's init for seed=7
    K1, losses = convlab.learn_kernel(X, Y, (2, 3), lr=0.01, epochs=1, seed=7)
    k = torch.tensor(K0, requires_grad=True)
    loss = ((nn.functional.conv2d(torch.tensor(X)[None, None], k[None, None])[0, 0] - torch.tensor(Y)) ** 2).sum()
    loss.backward()
    np.testing.assert_allclose(losses[0], loss.item(), rtol=1e-12)
    np.testing.assert_allclose(K1, K0 - 0.01 * k.grad.numpy(), rtol=1e-12)


def _shape(module, x_shape):
    torch.manual_seed(0)
    return tuple(module(torch.randn(*x_shape)).shape)


def test_size_lab():
    x_shape = (1, 1, 6, 6)
    conv = nn.Conv2d(1, 2, kernel_size=3, stride=2, padding=1)
    assert _shape(conv, x_shape) == (1, 2, 3, 3)
    assert convlab.output_size(6, 3, stride=2, padding=1) == 3
    out = convlab.conv2d(np.zeros(x_shape), conv.weight.detach().numpy(), stride=2, padding=1)
    assert out.shape == (1, 2, 3, 3)
    # the practice question: stride 1
    assert _shape(nn.Conv2d(1, 2, 3, stride=1, padding=1), x_shape) == (1, 2, 6, 6)
    assert convlab.output_size(6, 3, stride=1, padding=1) == 6


@pytest.mark.parametrize("out_channels", [8, 16])
def test_channel_lab(out_channels):
    conv = nn.Conv2d(3, out_channels, kernel_size=3, padding=1)
    x = torch.randn(2, 3, 32, 32)
    y = conv(x)
    assert tuple(y.shape) == (2, out_channels, 32, 32)
    assert tuple(conv.weight.shape) == (out_channels, 3, 3, 3)
    assert tuple(conv.bias.shape) == (out_channels,)
    ours = convlab.conv2d(x.numpy(), conv.weight.detach().numpy(), conv.bias.detach().numpy(), padding=1)
    np.testing.assert_allclose(ours, y.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_conv2d_checklist_lab():
    conv = nn.Conv2d(1, 4, kernel_size=3, stride=1, padding=1)
    x = torch.randn(1, 1, 8, 8)
    assert tuple(conv(x).shape) == (1, 4, 8, 8)
    assert tuple(conv.weight.shape) == (4, 1, 3, 3) and tuple(conv.bias.shape) == (4,)
    assert convlab.conv2d(x.numpy(), conv.weight.detach().numpy(), padding=1).shape == (1, 4, 8, 8)


def test_padding_and_stride_examples_of_doc_002():
    x = torch.randn(1, 1, 8, 8)
    for kwargs in [dict(padding=1), dict(padding=(2, 1)), dict(padding=1, stride=2), dict(padding=1, stride=(3, 4))]:
        conv = nn.Conv2d(1, 1, kernel_size=3, **kwargs)
        ours = convlab.conv2d(x.numpy(), conv.weight.detach().numpy(), conv.bias.detach().numpy(), **kwargs)
        np.testing.assert_allclose(ours, conv(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_total_padding_convention_agrees_with_per_side():
    """doc 002 writes floor((n - k + p_total + s) / s); PyTorch uses per-side p: p_total = 2p."""
    for n in range(3, 12):
        for k in range(1, 4):
            for p in range(3):
                for s in range(1, 4):
                    assert (n - k + 2 * p + s) // s == convlab.output_size(n, k, s, p)


def test_pooling_shapes_of_doc_002():
    x = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    cases = [
        (nn.MaxPool2d(3), lambda a: convlab.max_pool2d(a, 3)),
        (nn.MaxPool2d(3, padding=1, stride=2), lambda a: convlab.max_pool2d(a, 3, padding=1, stride=2)),
        (nn.AvgPool2d((2, 3), padding=(0, 1), stride=(2, 3)), lambda a: convlab.avg_pool2d(a, (2, 3), padding=(0, 1), stride=(2, 3))),
    ]
    shapes = []
    for module, ours in cases:
        expected = module(x).numpy()
        np.testing.assert_allclose(ours(x.numpy()), expected)
        shapes.append(expected.shape)
    # by hand: floor((4-3)/3)+1 = 1; floor((4+2-3)/2)+1 = 2; H floor((4-2)/2)+1 = 2, W floor((4+2-3)/3)+1 = 2
    assert shapes == [(1, 1, 1, 1), (1, 1, 2, 2), (1, 1, 2, 2)]


def test_pooling_keeps_channels_independent():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 6, 6))
    out = convlab.max_pool2d(x, 2)
    assert out.shape == (2, 5, 3, 3)
    for c in range(5):
        np.testing.assert_array_equal(out[:, c], convlab.max_pool2d(x[:, c : c + 1], 2)[:, 0])
