"""JSON encoding of the values that cross between the grader and the sandbox.

No pickle: decoding a message from the sandbox (which runs student code) must never run code.
Arrays travel as dtype + shape + base64 bytes; torch tensors the same with a tag.
"""
import base64

import numpy as np

MAX_ELEMENTS = 1_000_000
MAX_ITEMS = 1_000
MAX_DEPTH = 8


class Unsupported:
    """Stands for a value the codec cannot carry (its repr says what it was)."""

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return f"<a {self.type_name}: {self.text}>"


def encode(value, depth=0):
    """A JSON-compatible form of value (arrays, tensors, scalars, containers)."""
    if depth > MAX_DEPTH:
        return _unsupported(value, "nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"int": str(int(value))}  # exact, however large
    if isinstance(value, float):
        return {"float": repr(float(value))}
    try:
        if isinstance(value, np.generic):
            return {"scalar": _encode_array(np.asarray(value))}
        if isinstance(value, np.ndarray):
            return {"ndarray": _encode_array(value)}
        if type(value).__module__.startswith("torch") and type(value).__name__ in ("Tensor", "Parameter"):
            return _encode_tensor(value)
    except TypeError as error:
        return _unsupported(value, str(error))
    if isinstance(value, (tuple, list)):
        if len(value) > MAX_ITEMS:
            return _unsupported(value, f"{len(value)} items")
        key = "tuple" if isinstance(value, tuple) else "list"
        return {key: [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return _unsupported(value, f"{len(value)} items")
        return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    return _unsupported(value, "")


def decode(data):
    """The value encode() described; Unsupported stands for what it could not carry."""
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
        return torch.from_numpy(_decode_array(body).copy()).to(getattr(torch, body["torch_dtype"]))
    if key == "tuple":
        return tuple(decode(v) for v in body)
    if key == "list":
        return [decode(v) for v in body]
    if key == "dict":
        return {_hashable(decode(k)): decode(v) for k, v in body}
    if key == "unsupported":
        return Unsupported(body["type"], body["text"])
    raise ValueError(f"unknown value tag {key!r}")


def _encode_array(array):
    if array.dtype.kind not in "biufc":
        raise TypeError(f"an array of dtype {array.dtype} (numbers only)")
    if array.size > MAX_ELEMENTS:
        raise TypeError(f"an array of {array.size} elements (at most {MAX_ELEMENTS})")
    array = np.asarray(array, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def _decode_array(body):
    dtype = np.dtype(body["dtype"])
    if dtype.kind not in "biufc":
        raise ValueError(f"array dtype {dtype} is not numeric")
    flat = np.frombuffer(base64.b64decode(body["data"]), dtype=dtype)
    return flat.reshape(body["shape"]).copy()


def _encode_tensor(tensor):
    torch_dtype = str(tensor.dtype).removeprefix("torch.")
    plain = tensor.detach().cpu()
    if torch_dtype == "bfloat16":
        plain = plain.float()
    body = _encode_array(plain.numpy())
    body["torch_dtype"] = torch_dtype
    return {"tensor": body}


def _unsupported(value, why):
    text = why or repr(value)[:120]
    return {"unsupported": {"type": type(value).__name__, "text": text}}


def _hashable(key):
    return key if isinstance(key, (str, int, float, bool, tuple, type(None))) else repr(key)
