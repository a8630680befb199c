"""convlab.networks against published counts and against torch running the same layers.

Oracles: the parameter counts and GFLOPS (multiply-adds) that torchvision publishes for its
models, timm's activation counts, the receptive fields of Araujo et al. (Distill 2019), and torch
itself: the layers built as nn modules, run on a real input, counted by torch's FLOP counter.
"""
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import convlab
from convlab import networks

# torchvision's model pages: num_params and GFLOPS (which are multiply-adds, 2 decimals)
TORCHVISION = {
    "alexnet": (networks.alexnet, 61_100_840, 0.71),
    "vgg16": (networks.vgg16, 138_357_544, 15.47),
    "resnet50": (lambda: networks.resnet50("torchvision"), 25_557_032, 4.09),
}


def totals(layers, shape=(3, 224, 224)):
    costs = networks.layer_costs(layers, shape)
    return (sum(c.params for c in costs), sum(c.macs for c in costs), sum(c.activations for c in costs))


@pytest.mark.parametrize("name", TORCHVISION)
def test_parameters_and_multiply_adds_are_torchvisions_published_ones(name):
    build, params, gflops = TORCHVISION[name]
    counted, macs, _ = totals(build())
    assert counted == params
    assert round(macs / 1e9, 2) == gflops


def test_activations_are_timms_published_counts():
    # timm's model cards: vgg16.tv_in1k 13.6 M activations at 224; resnet50.tv2_in1k at 176 x 176:
    # 2.6 GMACs and 6.9 M activations
    assert round(totals(networks.vgg16())[2] / 1e6, 1) == 13.6
    _, macs, activations = totals(networks.resnet50("torchvision"), (3, 176, 176))
    assert round(macs / 1e9, 1) == 2.6 and round(activations / 1e6, 1) == 6.9


def test_the_papers_resnet_costs_less_than_torchvisions_v1_5():
    """He et al. report 3.8 billion multiply-adds; v1.5 runs its first 1 x 1s at twice the resolution."""
    paper = totals(networks.resnet50("paper"))[1]
    assert round(paper / 1e9, 1) == 3.9 and paper < totals(networks.resnet50("torchvision"))[1]


@pytest.mark.parametrize("layout, expected", [("paper", 483), ("tf-slim", 483), ("torchvision", 427)])
def test_resnet_receptive_fields(layout, expected):
    # Araujo et al. publish 483 (stride 32) for TF-Slim's ResNet-50; the paper's layout reaches as far
    field = convlab.receptive_field(networks.longest_path(networks.resnet50(layout)))[-1]
    assert field.size == expected and field.stride == 32


@pytest.mark.parametrize("layers, size", [(networks.alexnet("tf-slim"), 195), (networks.vgg16(), 212)])
def test_published_receptive_fields_of_alexnet_and_vgg(layers, size):
    field = convlab.receptive_field(networks.longest_path(layers))[-1]
    assert (field.size, field.stride) == (size, 32)


def _torch_run(layers, shape):
    """Run the layers as torch modules on a random image; per layer: output shape, params, FLOPs."""
    x = block_input = torch.randn(1, *shape)
    rows = []
    for layer in layers:
        if layer.block_start:
            block_input = x
        source = block_input if layer.shortcut else x
        if layer.kind == "conv":
            module = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                               layer.padding, groups=layer.groups, bias=layer.bias)
            if layer.batchnorm:
                module = nn.Sequential(module, nn.BatchNorm2d(layer.out_channels))
        elif layer.kind == "maxpool":
            module = nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding)
        elif layer.kind == "avgpool":
            module = nn.AdaptiveAvgPool2d(1)
        else:
            module = nn.Sequential(nn.Flatten(), nn.Linear(layer.in_channels, layer.out_channels, bias=layer.bias))
        module.eval()
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = module(source)
        shape_out = tuple(out.shape[1:]) if out.dim() == 4 else (out.shape[1], 1, 1)
        rows.append((shape_out, sum(p.numel() for p in module.parameters()), counter.get_total_flops()))
        if not layer.shortcut:
            x = out.reshape(1, *shape_out)
    return rows


@pytest.mark.parametrize("build", [networks.alexnet, networks.vgg16, lambda: networks.resnet50("paper"),
                                   lambda: networks.resnet50("torchvision")], ids=["alexnet", "vgg16",
                                                                                  "resnet50-paper", "resnet50-tv"])
def test_every_layer_against_torch(build):
    layers = build()
    ours = networks.layer_costs(layers, (3, 224, 224))
    for layer, cost, (shape, params, flops) in zip(layers, ours, _torch_run(layers, (3, 224, 224))):
        assert cost.output_shape == shape, layer.name
        assert cost.params == params, layer.name
        if layer.kind in ("conv", "fc"):
            assert 2 * cost.macs == flops, layer.name  # torch counts a multiply-add as 2 FLOPs
            assert cost.activations == shape[0] * shape[1] * shape[2], layer.name


def test_a_layer_that_does_not_fit_its_input_is_named():
    layers = [networks.Layer("conv1", "conv", 3, 8, 3), networks.Layer("conv2", "conv", 4, 8, 3)]
    with pytest.raises(ValueError, match="conv2 expects 4 input channels, gets 8"):
        networks.layer_costs(layers, (3, 10, 10))
