"""Argument checks shared by the compute functions.

Every message names the argument and the shapes involved, so that a learner
never has to decode a numpy broadcasting traceback.
"""
import numbers

import numpy as np


def as_float_array(value, name):
    """Return `value` as a floating ndarray; integers become float64."""
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as exc:  # ragged lists and the like
            raise TypeError(f"{name} must be a numeric array, could not convert it: {exc}") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(
            f"{name} must hold real numbers (integers or floats), got an array of dtype {arr.dtype}"
        )
    if np.issubdtype(arr.dtype, np.integer):
        arr = arr.astype(np.float64)
    return arr


def result_dtype(*arrays):
    """The floating dtype of a result computed from `arrays` (as torch's type promotion for floats)."""
    return np.result_type(*arrays)


def check_ndim(arr, name, allowed, layout):
    """Raise unless `arr.ndim` is one of `allowed`; `layout` describes the expected axes."""
    if arr.ndim not in allowed:
        raise ValueError(
            f"{name} must be {layout}, got {arr.ndim} dimension(s) with shape {tuple(arr.shape)}"
        )


def pair(value, name, minimum=None):
    """An int or an (h, w) pair of ints, returned as a tuple of two ints."""
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        out = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool) for v in value
    ):
        out = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints (h, w), got {value!r}")
    if minimum is not None and min(out) < minimum:
        raise ValueError(f"{name} must be at least {minimum} in each dimension, got {value!r}")
    return out


def positive_pair(value, name):
    return pair(value, name, minimum=1)


def nonnegative_pair(value, name):
    return pair(value, name, minimum=0)
