"""Output sizes and receptive fields: the arithmetic of sliding windows, without any arrays."""
import numbers
from typing import NamedTuple

__all__ = ["output_size", "receptive_field", "ReceptiveField"]


def _conv_out(n, k, s, total_pad, d):
    """floor((n + total_pad - d*(k-1) - 1) / s) + 1, the size every conv layer computes."""
    return (n + total_pad - d * (k - 1) - 1) // s + 1


def _pool_out(n, k, s, p, d, ceil_mode):
    """torch's pooling size: with ceil_mode, round up, but the last window must start inside input + left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    o = -(-span // s) + 1
    if (o - 1) * s >= n + p:
        o -= 1
    return o


def _int(value, name, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def output_size(n, kernel_size, stride=1, padding=0, dilation=1, ceil_mode=False):
    """Output length along one dimension, with per-side `padding` (PyTorch's convention).

    floor((n + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1; with ceil_mode,
    torch's pooling rule (round up, but drop a last window that would start in the right padding).
    Texts that write p for the *total* padding of a dimension use (n - k + p + s) / s instead;
    both agree when p_total = 2 * padding.
    """
    n = _int(n, "n", 1)
    k = _int(kernel_size, "kernel_size", 1)
    s = _int(stride, "stride", 1)
    p = _int(padding, "padding", 0)
    d = _int(dilation, "dilation", 1)
    o = _pool_out(n, k, s, p, d, ceil_mode)
    if o < 1:
        raise ValueError(
            f"kernel_size {k} (dilation {d}, spanning {d * (k - 1) + 1}) is larger than the padded input: "
            f"n + 2*padding = {n} + {2 * p} = {n + 2 * p}"
        )
    return o


class ReceptiveField(NamedTuple):
    """Receptive field of one layer's output, measured in input pixels.

    size: how many input pixels (per dimension) one output pixel sees;
    stride: the effective stride, the distance in input pixels between neighbouring outputs;
    padding: the effective padding, how far the first window starts before input pixel 0.
    """

    size: int
    stride: int
    padding: int


def receptive_field(layers):
    """Receptive field after each layer of a stack.

    layers: a sequence of (kernel_size, stride, padding) or (kernel_size, stride, padding, dilation)
    tuples, one per conv or pooling layer, first layer first. Returns one ReceptiveField per layer.
    Recurrence (Araujo et al., Distill 2019): r_l = r_{l-1} + (k_eff - 1) * j_{l-1},
    j_l = j_{l-1} * s_l, P_l = P_{l-1} + p_l * j_{l-1}, with k_eff = d*(k-1) + 1.
    """
    size, jump, pad = 1, 1, 0
    result = []
    for index, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (3, 4):
            raise ValueError(
                f"layers[{index}] must be (kernel_size, stride, padding) or "
                f"(kernel_size, stride, padding, dilation), got {layer!r}"
            )
        k = _int(layer[0], f"layers[{index}] kernel_size", 1)
        s = _int(layer[1], f"layers[{index}] stride", 1)
        p = _int(layer[2], f"layers[{index}] padding", 0)
        d = _int(layer[3], f"layers[{index}] dilation", 1) if len(layer) == 4 else 1
        size += d * (k - 1) * jump
        pad += p * jump
        jump *= s
        result.append(ReceptiveField(size, jump, pad))
    return result
