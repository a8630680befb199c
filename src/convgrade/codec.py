"""JSON encoding of the values that cross between the grader and a sandboxed process.

No pickle: decoding a message from the sandbox (which runs student code) never runs code. Data
travels by value: None, bools, ints, floats, strings, numpy arrays and scalars and torch tensors
(dtype + shape + base64 bytes), and tuples, lists and dicts of those, within size caps. Any other
object stays in the sandbox and travels as a handle, {"handle": n}, which the other side may only
pass back (remote.RemoteObject).
"""
import base64

import numpy as np

MAX_ELEMENTS = 1_000_000
MAX_ITEMS = 1_000
MAX_DEPTH = 8
MAX_TEXT = 1_000_000
MAX_INT_DIGITS = 4000


class Unsupported(TypeError):
    """A value that cannot travel by value and has no handle to travel as."""


def encode(value, handle=None, depth=0):
    """A JSON-compatible form of value; `handle(value)` -> int for what cannot travel by value."""
    if depth > MAX_DEPTH:
        return _other(value, handle, "nested too deeply")
    if value is None or isinstance(value, bool):
        return value
    if type(value) is str:
        return value if len(value) <= MAX_TEXT else _other(value, handle, f"a string of {len(value)} characters")
    if type(value) is int:  # exact builtin types only: a subclass could redefine ==
        text = str(value) if abs(value) < 10 ** MAX_INT_DIGITS else None
        return {"int": text} if text else _other(value, handle, "an int with too many digits")
    if type(value) is float:
        return {"float": repr(value)}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        return _array(np.asarray(value), "scalar", value, handle)
    if isinstance(value, np.ndarray):
        return _array(value, "ndarray", value, handle)
    if _is_tensor(value):
        return _tensor(value, handle)
    if type(value) in (tuple, list):
        if len(value) > MAX_ITEMS:
            return _other(value, handle, f"{len(value)} items")
        return {type(value).__name__: [encode(v, handle, depth + 1) for v in value]}
    if type(value) is dict:
        if len(value) > MAX_ITEMS:
            return _other(value, handle, f"{len(value)} items")
        return {"dict": [[encode(k, handle, depth + 1), encode(v, handle, depth + 1)] for k, v in value.items()]}
    return _other(value, handle, "")


def decode(data, resolve=None):
    """The value encode() described; `resolve(n)` gives the object for a handle."""
    if data is None or isinstance(data, (bool, str)):
        return data
    (key, body), = data.items()
    if key == "int":
        return int(body)
    if key == "float":
        return float(body)
    if key == "scalar":
        return _decode_array(body)[()]
    if key == "ndarray":
        return _decode_array(body)
    if key == "tensor":
        import torch
        return torch.from_numpy(_decode_array(body)).to(getattr(torch, body["torch_dtype"]))
    if key == "tuple":
        return tuple(decode(v, resolve) for v in body)
    if key == "list":
        return [decode(v, resolve) for v in body]
    if key == "dict":
        return {_hashable(decode(k, resolve)): decode(v, resolve) for k, v in body}
    if key == "handle":
        if resolve is None:
            raise Unsupported("a handle where only data may come")
        return resolve(body)
    raise ValueError(f"unknown value tag {key!r}")


def _is_tensor(value):
    return type(value).__module__.startswith("torch") and type(value).__name__ in ("Tensor", "Parameter")


def _other(value, handle, why):
    if handle is None:
        raise Unsupported(f"a {type(value).__name__} cannot be sent{': ' + why if why else ''}")
    return {"handle": handle(value)}


def _array(array, tag, original, handle):
    if array.dtype.kind not in "biufc":
        return _other(original, handle, f"an array of dtype {array.dtype} (numbers only)")
    if array.size > MAX_ELEMENTS:
        return _other(original, handle, f"an array of {array.size} elements (at most {MAX_ELEMENTS})")
    array = np.array(array, order="C", copy=True, subok=False)  # a plain array: a subclass's methods stay behind
    return {tag: {"dtype": array.dtype.str, "shape": list(array.shape),
                  "data": base64.b64encode(array.tobytes()).decode("ascii")}}


def _decode_array(body):
    dtype = np.dtype(body["dtype"])
    if dtype.kind not in "biufc" or dtype.hasobject:
        raise ValueError(f"array dtype {dtype} is not numeric")
    shape = [int(n) for n in body["shape"]]
    if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) > MAX_ELEMENTS:
        raise ValueError(f"array shape {shape} is not allowed")
    flat = np.frombuffer(base64.b64decode(body["data"], validate=True), dtype=dtype)
    return flat.reshape(shape).copy()


def _tensor(tensor, handle):
    torch_dtype = str(tensor.dtype).removeprefix("torch.")
    try:
        plain = tensor.detach().cpu()
        if torch_dtype == "bfloat16":
            plain = plain.float()
        array = plain.numpy()
    except (RuntimeError, TypeError) as error:
        return _other(tensor, handle, str(error))
    body = _array(array, "tensor", tensor, handle)
    if "tensor" in body:
        body["tensor"]["torch_dtype"] = torch_dtype
    return body


def _hashable(key):
    return key if isinstance(key, (str, int, float, bool, tuple, type(None))) else repr(key)
