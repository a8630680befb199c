"""Comparisons and oracles for the practice's checks: what came back, what PyTorch says, in words.

Every comparison raises CheckFailed with a message a student can act on: the call, what it gave,
what was expected. The oracles are PyTorch, imported only when a check needs it.
"""
from dataclasses import dataclass

import numpy as np

from . import guards


class CheckFailed(AssertionError):
    """A behaviour did not hold; the message says what was called, what came back and why it is wrong."""


@dataclass
class Outcome:
    """What a call did: returned `value`, or raised (`error_types` = the exception's class names)."""
    value: object = None
    error_types: tuple = ()
    message: str = ""

    @property
    def raised(self):
        return bool(self.error_types)


def returned(outcome, name, args, kwargs):
    """The value of a call that had to succeed; CheckFailed (in words) if it raised."""
    if outcome.raised:
        raise CheckFailed(f"{describe_call(name, args, kwargs)} raised {outcome.message}")
    return outcome.value


def torch_corr2d(X, K):
    """Cross-correlation by PyTorch (conv2d is a cross-correlation), as float64 numpy."""
    import torch
    x = torch.as_tensor(np.asarray(X, dtype=float))[None, None]
    k = torch.as_tensor(np.asarray(K, dtype=float))[None, None]
    return torch.nn.functional.conv2d(x, k)[0, 0].numpy()


# The shape oracles run PyTorch on small zero tensors: shape-only "meta" tensors would make torch
# import sympy, half a second in every kernel and every grader.

def torch_conv_shapes(input_shape, out_channels, kernel_size, stride=1, padding=0, bias=True):
    """Output, weight and bias shapes of nn.Conv2d applied to an input of input_shape, from PyTorch."""
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


def describe(value):
    """A short description of a value for a message (arrays by shape, not contents)."""
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if type(value).__name__ == "Tensor":
        return f"a torch tensor of shape {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_call(name, args, kwargs):
    """How a call looks in a message, e.g. corr2d(a numpy array of shape (5, 5), ...)."""
    shown = [describe(a) if hasattr(a, "shape") else repr(a) for a in args]
    shown += [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def as_number_array(value, what):
    """value as a float array, or CheckFailed saying what came back instead."""
    if not isinstance(value, (bool, str, bytes, dict, type(None))):
        try:
            return np.asarray(value, dtype=float)
        except (TypeError, ValueError, RuntimeError):
            pass
    raise CheckFailed(f"{what} gave {describe(value)}, not an array of numbers")


def expect_array(value, want, what):
    """value has want's shape and values (np.allclose's default tolerances, as the visible tests)."""
    got = as_number_array(value, what)
    if got.shape != want.shape:
        raise CheckFailed(f"{what} has shape {got.shape}; expected shape {want.shape}")
    if not np.allclose(got, want):
        if want.ndim == 0:
            raise CheckFailed(f"{what} is {got:.6g}; expected {want:.6g}")
        where = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
        raise CheckFailed(f"{what} is wrong at {tuple(int(i) for i in where)}: "
                          f"got {got[where]:.6g}, expected {want[where]:.6g}")


def expect_shape(value, want, what):
    """value is a shape equal to want (guards.same_shape: a tuple or list of ints, as the visible tests)."""
    if not guards.same_shape(value, want):
        raise CheckFailed(f"{what} is {describe(value)}; expected the shape {tuple(want)} (a tuple of ints)")


def expect_rejected(student, name, args, kwargs, errors, why):
    outcome = student.attempt(name, *args, **kwargs)
    call = describe_call(name, args, kwargs)
    if "TimeLimitExceeded" in outcome.error_types:
        raise CheckFailed(f"{call} raised {outcome.message}")
    if not outcome.raised:
        raise CheckFailed(f"{call} returned {describe(outcome.value)}; it should raise "
                          f"{' or '.join(errors)} because {why}")
    if not set(errors) & set(outcome.error_types):
        raise CheckFailed(f"{call} raised {outcome.message}; it should raise {' or '.join(errors)} "
                          f"because {why}")


def random_matrix(rng, shape):
    return rng.integers(-9, 10, size=shape).astype(float) + rng.random(shape).round(2)
