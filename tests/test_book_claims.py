"""What the prose says, checked against oracles that know nothing of the chapters' code.

Every number in the book's prose is an `{eval}` of a variable that code set at build time, and
where the prose compares numbers ("as far as", "most of", "less than") the comparison is computed
or asserted in the chapter. This file reads the values the build recorded
(`_build/jupyter_execute/book/*.eval.json`, see tools/eval_values.py) and recomputes the same
facts independently: with torch, by hand, or from published counts.
"""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import convlab
from built_site import require_site


@pytest.fixture(scope="module")
def shown():
    executed = require_site().parent / "jupyter_execute" / "book"

    def read(chapter):
        path = executed / f"{chapter}.eval.json"
        assert path.is_file(), f"{path} missing: build the book first"
        values = json.loads(path.read_text())
        assert all(reply["status"] == "ok" for reply in values.values()), path
        return {name: reply["data"]["text/plain"].strip("'\"") for name, reply in values.items()}

    return read


def torch_field(stack):
    """Receptive field of the centre output of a conv stack (k, s, p), measured by backpropagation."""
    x = torch.zeros(1, 1, 200, 200, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s, p in stack:
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, padding=p)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].sum(dim=1))
    return int(rows.max() - rows.min() + 1)


def words(a, b):
    return "as far as" if a == b else "further than" if a > b else "less far than"


def test_receptive_field_comparisons(shown):
    g = shown("08_receptive_field")
    five = torch_field([(3, 1, 1)] * 5)
    one = torch_field([(3, 2, 1), (3, 1, 1), (3, 1, 1)])
    two = torch_field([(3, 2, 1), (3, 2, 1), (3, 1, 1)])
    assert (int(g["five_convs"]), int(g["strided_first"]), int(g["strided_two"])) == (five, one, two)
    assert g["strided_first_vs_five"] == words(one, five) == "as far as"  # the claim issue 10 corrected
    assert g["strided_two_vs_five"] == words(two, five) == "further than"


def _torch_counts(model):
    fc = sum(p.numel() for m in model.modules() if isinstance(m, nn.Linear) for p in m.parameters())
    return fc, sum(p.numel() for p in model.parameters())


def test_fully_connected_layers_hold_most_parameters_of_alexnet_and_vgg(shown):
    g = shown("06_channels")
    # torchvision's AlexNet and VGG-16, written out here as nn modules
    alexnet = nn.Sequential(nn.Conv2d(3, 64, 11, 4, 2), nn.Conv2d(64, 192, 5, padding=2),
                            nn.Conv2d(192, 384, 3, padding=1), nn.Conv2d(384, 256, 3, padding=1),
                            nn.Conv2d(256, 256, 3, padding=1), nn.Linear(9216, 4096), nn.Linear(4096, 4096),
                            nn.Linear(4096, 1000))
    widths = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    vgg = nn.Sequential(*[nn.Conv2d(c_in, c_out, 3, padding=1) for c_in, c_out in zip([3] + widths, widths)],
                        nn.Linear(25088, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000))
    for key, model, published_total in [("alexnet", alexnet, 61_100_840), ("vgg", vgg, 138_357_544)]:
        fc, total = _torch_counts(model)
        assert total == published_total  # torchvision's published count: the models above are right
        assert fc / total > 0.5 and g[f"fc_share_{key}"] == f"{fc / total:.0%}"
    # ResNet-50: one 2048 -> 1000 layer out of torchvision's published 25,557,032
    resnet_fc = 2048 * 1000 + 1000
    assert g["fc_share_resnet"] == f"{resnet_fc / 25_557_032:.0%}"
    # VGG-16 against ResNet-50 in multiply-adds: torchvision publishes 15.47 and 4.09 GFLOPS
    assert abs(float(g["vgg_over_resnet_text"]) - 15.47 / 4.09) < 0.06


def autograd_keeps(layers):
    """Bytes that autograd keeps for one 3 x 224 x 224 image in training mode, derived by hand from
    what each backward formula of PyTorch needs (no hooks, no model): a convolution or linear layer
    keeps its input, batch norm its input and a mean and 1/std per channel, ReLU its output, max
    pooling its input and its int64 argmax indices. A tensor kept by two operations counts once."""
    costs = convlab.networks.layer_costs(layers)
    total = 4 * 3 * 224 * 224  # the image, which the first convolution needs for its weight gradient
    for i, (layer, cost) in enumerate(zip(layers, costs)):
        c, h, w = cost.output_shape
        values = c * h * w
        if layer.kind == "conv" and layer.batchnorm:
            # batch norm's input (the conv output) and statistics; then the ReLU's output (after the
            # residual sum for a block's last conv), except on a shortcut, which only feeds the sum
            total += 4 * values + 2 * 4 * c + (0 if layer.shortcut else 4 * values)
        elif layer.kind == "conv" or (layer.kind == "fc" and i != len(layers) - 1):
            total += 4 * values  # the ReLU's output, also the next layer's input
        elif layer.kind == "maxpool":
            total += (4 + 8) * values  # its output (the next layer's input) and the indices
        elif layer.kind == "avgpool":
            total += 4 * values  # the fully connected layer's input
    return total


def test_what_autograd_keeps_matches_a_derivation_by_hand(shown):
    g = shown("06_channels")
    nets = {"alexnet": convlab.networks.alexnet(), "vgg": convlab.networks.vgg16(),
            "resnet": convlab.networks.resnet50()}
    kept = {key: autograd_keeps(layers) for key, layers in nets.items()}
    for key in nets:
        assert g[f"kept_{key}"] == f"{kept[key] / 2**20:.1f}", key
    # the independent review measured about 82 MiB for ResNet-50 and 69 MiB for VGG-16's conv stack
    assert 81 < kept["resnet"] / 2**20 < 83 and 69 < kept["vgg"] / 2**20 < 71
    conv_fc_outputs = sum(c.activations for c in convlab.networks.layer_costs(nets["resnet"])) * 4
    assert g["kept_ratio_resnet"] == f"{kept['resnet'] / conv_fc_outputs:.1f}"


def test_pooling_claims(shown):
    g = shown("07_pooling")
    # the step-edge experiment on a 9-wide image, by hand: the response sits in column c - 1 of an
    # 8-wide map and stays in its pooling pair exactly when c - 1 is even, for c = 1..7
    assert (int(g["q5_same"]), int(g["q5_total"])) == (4, 7)
    # global pooling of the same maps, with torch: the edge response is one column of ones wherever
    # the edge is, so its global max and mean never change
    def global_pools(column):
        image = torch.zeros(1, 1, 4, 9)
        image[..., column:] = 1
        response = F.conv2d(image, torch.tensor([[[[-1.0, 1.0]]]]))
        return response.amax().item(), response.mean().item()

    assert int(g["global_same"]) == sum(global_pools(c) == global_pools(c + 1) for c in range(1, 8)) == 7
    # a one-pixel shift of the photograph, with torch: the pooled map changes less than the edge map
    photo = torch.from_numpy(convlab.photograph(size=256))
    sobel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float64)
    width = photo.shape[1] - 4

    def edges(image):
        return F.conv2d(image[None, None], sobel[None, None]).abs()

    def change(a, b):
        return ((a - b).abs().mean() / a.abs().mean()).item()

    base, moved = edges(photo[:, :width]), edges(photo[:, 1 : 1 + width])
    conv_change = change(base, moved)
    pool_change = change(F.max_pool2d(base, 4), F.max_pool2d(moved, 4))
    assert g["photo_conv1"] == f"{conv_change:.0%}" and g["photo_pool1"] == f"{pool_change:.0%}"
    assert pool_change < conv_change
    # ceil_mode on 5 x 5 with 2 x 2 windows: torch's shapes
    x = torch.zeros(1, 1, 5, 5)
    assert int(g["floor_side"]) == F.max_pool2d(x, 2).shape[-1]
    assert int(g["ceil_side"]) == F.max_pool2d(x, 2, ceil_mode=True).shape[-1]


def test_edge_and_learning_claims(shown):
    g = shown("03_edge_detection")
    # the 6 x 6 lower-triangular image: rows 0..4 step from 1 to 0, the last row is all ones;
    # columns 1..5 step from 0 to 1 going down, column 0 is all ones
    assert (int(g["diag_rows_step"]), int(g["diag_cols_step"]), int(g["diag_line"])) == (5, 5, 5)
    g = shown("04_learning_a_kernel")
    # by hand: the windows of the stripes image give A^T A = [[18, 12], [12, 18]], eigenvalues 6 and 30
    assert g["lr_limit"] == f"{1 / 30:.4f}" and g["lr_share"] == f"{0.03 * 30:.0%}"
    fast, slow = 1 - 2 * 0.03 * 30, 1 - 2 * 0.03 * 6
    assert fast < 0 < slow  # what the prose says: the fast direction overshoots, the slow one does not
    assert float(g["factor_fast"]) == pytest.approx(fast) and float(g["factor_slow"]) == pytest.approx(slow)
    # with a bias column of ones: [[18, 12, 18], [12, 18, 18], [18, 18, 42]]
    with_bias = np.linalg.eigvalsh(np.array([[18.0, 12, 18], [12, 18, 18], [18, 18, 42]])).max()
    assert g["lr_limit_bias"] == f"{1 / with_bias:.4f}"
    assert float(g["lr_layer_text"]) < 1 / with_bias < float(g["lr_plain"])
    assert float(g["layer_bias"]) == pytest.approx(float(g["true_bias_text"]), abs=1e-3)


def test_border_and_size_claims(shown):
    g = shown("01_why_convolution")
    # two views of a scene one column apart, with torch: the feature maps agree where both views see
    # the same pixels, all output columns but the last of a 10-wide view and a 2 x 2 kernel
    scene = torch.randn(10, 11, dtype=torch.float64)
    kernel = torch.randn(2, 2, dtype=torch.float64)
    first, moved = (F.conv2d(v[None, None], kernel[None, None])[0, 0] for v in (scene[:, :10], scene[:, 1:]))
    agree = [bool(torch.allclose(moved[:, j], first[:, j + 1])) for j in range(moved.shape[1] - 1)]
    assert all(agree)
    assert (int(g["view_same_cols"]), int(g["view_cols"])) == (len(agree), moved.shape[1])
    g = shown("05_padding_and_stride")
    assert int(g["keep_pad_6"]) == 4
    assert nn.Conv2d(1, 1, 3, stride=2, padding=4)(torch.zeros(1, 1, 6, 6)).shape[-1] == 6


def test_capstone_claims(shown):
    g = shown("10_capstone")
    lenet = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5), nn.Linear(400, 120),
                          nn.Linear(120, 84), nn.Linear(84, 10))
    assert g["lenet_params"] == f"{sum(p.numel() for p in lenet.parameters()):,}"
    # conv1 5, pool1 adds 1, conv2 adds 4 * 2: 14 (by hand)
    assert int(g["lenet_conv2_field"]) == 14
