"""Classic networks as data, and what their layers cost: parameters, multiply-adds, activations.

A network is a list of `Layer`s, first layer first. Convolutions and pooling windows carry
their kernel size, stride and padding (so `receptive_field` can read them), convolutions and
fully connected layers their channel counts (so `layer_costs` can count). A ResNet shortcut
convolution is marked `shortcut`: it reads its block's input, its output is added to the block's
output, and it is not on the longest path that decides the receptive field.

The definitions follow torchvision (`alexnet`, `vgg16`, `resnet50("torchvision")`), whose
published parameter counts and multiply-adds the tests check, and for the receptive-field
comparison with Araujo et al. (Distill, 2019) the TF-Slim variants they measured.
"""
from typing import NamedTuple

from .shapes import output_size

__all__ = ["Layer", "LayerCost", "alexnet", "vgg16", "resnet50", "layer_costs", "path_layers", "longest_path",
           "RESNET_LAYOUTS"]

RESNET_LAYOUTS = ("paper", "tf-slim", "torchvision")


class Layer(NamedTuple):
    """One layer. kind: 'conv', 'maxpool', 'avgpool' (global average pooling to 1 x 1) or 'fc'."""

    name: str
    kind: str
    in_channels: int = 0
    out_channels: int = 0
    kernel_size: int = 1
    stride: int = 1
    padding: int = 0
    groups: int = 1
    bias: bool = True
    batchnorm: bool = False  # followed by batch norm: 2 more parameters per output channel (scale, shift)
    shortcut: bool = False  # reads the input of its block (the last layer named ...a), output added
    block_start: bool = False  # the first layer of a block: its input is the block's input

    @property
    def window(self):
        """(kernel_size, stride, padding): what `receptive_field` reads."""
        return (self.kernel_size, self.stride, self.padding)


class LayerCost(NamedTuple):
    """What one layer costs on one image: its output shape (C, H, W), parameters, multiply-adds and
    activations (the number of values it outputs, which training keeps for the backward pass)."""

    name: str
    output_shape: tuple
    params: int
    macs: int
    activations: int


def _conv(name, c_in, c_out, k, s=1, p=0, **kwargs):
    return Layer(name, "conv", c_in, c_out, k, s, p, **kwargs)


def _pool(name, k, s, p=0):
    return Layer(name, "maxpool", kernel_size=k, stride=s, padding=p)


def alexnet(variant="torchvision"):
    """AlexNet as torchvision builds it ("One weird trick" channels 64-192-384-256-256), or the
    TF-Slim alexnet_v2 measured by Araujo et al. (no padding in conv1, 384 channels in conv4)."""
    slim = variant == "tf-slim"
    if variant not in ("torchvision", "tf-slim"):
        raise ValueError(f"variant must be 'torchvision' or 'tf-slim', got {variant!r}")
    layers = [_conv("conv1", 3, 64, 11, 4, 0 if slim else 2), _pool("pool1", 3, 2),
              _conv("conv2", 64, 192, 5, 1, 2), _pool("pool2", 3, 2),
              _conv("conv3", 192, 384, 3, 1, 1), _conv("conv4", 384, 384 if slim else 256, 3, 1, 1),
              _conv("conv5", 384 if slim else 256, 256, 3, 1, 1), _pool("pool5", 3, 2)]
    if not slim:  # the classifier: 256 x 6 x 6 features into 4096, 4096 and 1000 units
        layers += [Layer("fc6", "fc", 256 * 6 * 6, 4096), Layer("fc7", "fc", 4096, 4096),
                   Layer("fc8", "fc", 4096, 1000)]
    return layers


def vgg16():
    """VGG-16: thirteen 3 x 3 convolutions in five blocks, each ending in a 2 x 2 max pool, then three
    fully connected layers."""
    layers, c_in = [], 3
    for block, (n_convs, width) in enumerate([(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)], start=1):
        for i in range(1, n_convs + 1):
            layers.append(_conv(f"conv{block}_{i}", c_in, width, 3, 1, 1))
            c_in = width
        layers.append(_pool(f"pool{block}", 2, 2))
    return layers + [Layer("fc6", "fc", 512 * 7 * 7, 4096), Layer("fc7", "fc", 4096, 4096),
                     Layer("fc8", "fc", 4096, 1000)]


def resnet50(layout="torchvision"):
    """ResNet-50: a 7 x 7 stem, a max pool, four stages of 3, 4, 6 and 3 bottleneck blocks
    (1 x 1, 3 x 3, 1 x 1 convolutions, each followed by batch norm instead of a bias), global
    average pooling and a fully connected layer.

    layout says where the three strides of 2 between stages sit: "paper" (He et al. 2015): the
    first 1 x 1 of stages 3, 4, 5; "tf-slim": the 3 x 3 of the last block of stages 2, 3, 4;
    "torchvision" ("ResNet v1.5"): the 3 x 3 of the first block of stages 3, 4, 5.
    """
    if layout not in RESNET_LAYOUTS:
        raise ValueError(f"layout must be one of {RESNET_LAYOUTS}, got {layout!r}")
    bn = dict(bias=False, batchnorm=True)
    layers = [_conv("conv1", 3, 64, 7, 2, 3, **bn), _pool("maxpool", 3, 2, 1)]
    c_in = 64
    for stage, (n_blocks, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=2):
        for block in range(1, n_blocks + 1):
            first, last = block == 1 and stage > 2, block == n_blocks and stage < 5
            s1 = 2 if layout == "paper" and first else 1
            s3 = 2 if (layout == "torchvision" and first or layout == "tf-slim" and last) else 1
            name = f"conv{stage}_{block}"
            layers += [_conv(f"{name}a", c_in, width, 1, s1, 0, block_start=True, **bn),
                       _conv(f"{name}b", width, width, 3, s3, 1, **bn),
                       _conv(f"{name}c", width, 4 * width, 1, 1, 0, **bn)]
            if block == 1:  # the shortcut must change the channels: a 1 x 1 convolution
                layers.append(_conv(f"{name}_shortcut", c_in, 4 * width, 1, s1 * s3, 0, shortcut=True, **bn))
            elif s1 * s3 > 1:  # TF-Slim's strided last block: the shortcut only subsamples
                layers.append(Layer(f"{name}_shortcut", "maxpool", kernel_size=1, stride=2, shortcut=True))
            c_in = 4 * width
    return layers + [Layer("avgpool", "avgpool"), Layer("fc", "fc", 2048, 1000)]


def path_layers(layers):
    """The layers with a window on the longest path (shortcuts and fully connected layers left out)."""
    return [layer for layer in layers if layer.kind in ("conv", "maxpool") and not layer.shortcut]


def longest_path(layers):
    """The (kernel_size, stride, padding) of every layer on the longest path: the stack
    `receptive_field` measures."""
    return [layer.window for layer in path_layers(layers)]


def layer_costs(layers, input_shape=(3, 224, 224)):
    """The cost of every layer on one image of `input_shape` (C, H, W); returns one LayerCost each.

    conv: params C_out * C_in / groups * k * k (+ C_out biases, + 2 C_out for batch norm),
    multiply-adds C_out * C_in / groups * k * k * H_out * W_out (batch norm's few are not counted);
    fc: in * out (+ out) params, in * out multiply-adds;
    pooling has neither and outputs values that are not counted as activations (the count follows
    fvcore and timm: the outputs of convolutions and fully connected layers).
    """
    shape = tuple(input_shape)
    block_input = shape
    costs = []
    for layer in layers:
        if layer.block_start:
            block_input = shape
        source = block_input if layer.shortcut else shape
        c, h, w = source
        if layer.kind in ("conv", "maxpool"):
            if layer.kind == "conv" and c != layer.in_channels:
                raise ValueError(f"{layer.name} expects {layer.in_channels} input channels, gets {c} ({source})")
            h_out, w_out = (output_size(n, layer.kernel_size, layer.stride, layer.padding) for n in (h, w))
        if layer.kind == "conv":
            weights = layer.out_channels * layer.in_channels // layer.groups * layer.kernel_size**2
            out = (layer.out_channels, h_out, w_out)
            extra = (layer.bias + 2 * layer.batchnorm) * layer.out_channels
            cost = LayerCost(layer.name, out, weights + extra, weights * h_out * w_out, layer.out_channels * h_out * w_out)
        elif layer.kind == "maxpool":
            out = (c, h_out, w_out)
            cost = LayerCost(layer.name, out, 0, 0, 0)
        elif layer.kind == "avgpool":
            out = (c, 1, 1)
            cost = LayerCost(layer.name, out, 0, 0, 0)
        elif layer.kind == "fc":
            if c * h * w != layer.in_channels:
                raise ValueError(f"{layer.name} expects {layer.in_channels} input features, gets {c * h * w} ({source})")
            out = (layer.out_channels, 1, 1)
            weights = layer.in_channels * layer.out_channels
            cost = LayerCost(layer.name, out, weights + layer.bias * layer.out_channels, weights, layer.out_channels)
        else:
            raise ValueError(f"{layer.name}: unknown kind {layer.kind!r}")
        costs.append(cost)
        if not layer.shortcut:
            shape = out
    return costs
