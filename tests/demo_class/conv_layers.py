"""The demo class of conv-layers: the same students as in conv-basics, handing in the second practice.

Each kind starts from the released notebook (what students download) and changes it the way that
student did: answers from the source notebook's solutions, wrong ones, or edits to the tests or the
file itself. EXPECTED says which tests each one passes or fails and its status; the scores follow
from the notebook's points (make_demo_class.score). Every bug below is caught by its tests on any
hidden inputs (they change with the course secret), so the expectations hold in any course copy.
"""
from .make_demo_class import ALL, cell_index, common_kinds, fails, only, released, solved as _solved

ASSIGNMENT = "conv-layers"
NOTEBOOK = "layers"

CONV_TESTS = ["conv2d_multi_two_channels", "conv2d_multi_random", "conv2d_multi_stride_padding",
              "conv2d_multi_edge_sizes", "conv2d_multi_rejects_impossible"]
MAX_POOL_TESTS = ["max_pool2d_book_examples", "max_pool2d_random", "max_pool2d_ceil_mode"]
RECEPTIVE_FIELD_TESTS = ["receptive_field_by_hand", "receptive_field_random", "receptive_field_edge_cases"]
GRAD_INPUT_TESTS = ["grad_input_manual_lab", "grad_input_random", "gradients_edge_sizes"]
POOL_TESTS = ["pool_output_size_examples", "pool_output_size_random", "pool_output_size_rejects_impossible",
              *MAX_POOL_TESTS, "avg_pool2d_book_example", "avg_pool2d_random", "avg_pool2d_ceil_mode"]
COST_TESTS = ["network_costs_lenet", "network_costs_random", "network_costs_rejects_impossible"]

# student -> (which tests pass, status): "ok" or the flags in the order of convgrade.status.STATUSES
EXPECTED = {
    "full_marks": (ALL, "ok"),
    # forgot the bias, ignores ceil_mode, and the input gradient without the flip
    "partial": (fails(*CONV_TESTS[:4], "pool_output_size_examples", "pool_output_size_random",
                      "max_pool2d_ceil_mode", "avg_pool2d_ceil_mode", *GRAD_INPUT_TESTS), "ok"),
    # the all-ones dY of the visible test is symmetric, so flipping it there changes nothing
    # (as `fails`, so that a problem added later, which this student answers from the solutions, passes)
    "wrong": (fails(*CONV_TESTS, *POOL_TESTS, *RECEPTIVE_FIELD_TESTS, *COST_TESTS, "grad_kernel_random",
                    *GRAD_INPUT_TESTS), "ok"),
    "untouched_stub": (only(), "ok"),
    "infinite_loop": (fails(*MAX_POOL_TESTS), "timed out"),
    "corrupt_json": (only(), "corrupt notebook"),
    "missing_notebook": (only(), "missing notebook"),
    "tampered_test": (fails(*CONV_TESTS[:4]), "tampered"),
    "allclose_cheat": (only(), "suspicious; needs review"),
    "transformer_cheat": (only(), "suspicious; needs review"),
    # honest bugs: they fail in the notebook and in the grader alike, and are never suspicious
    "off_by_one": (fails(*RECEPTIVE_FIELD_TESTS), "ok"),
    "round_not_floor": (fails("pool_output_size_examples", "pool_output_size_random", "max_pool2d_book_examples",
                              "max_pool2d_random", "avg_pool2d_random"), "ok"),
}
SPECIAL = {"corrupt_json", "missing_notebook"}  # files, not notebooks: make_demo_class writes them


def solved(**replacements):
    return _solved(ASSIGNMENT, **replacements)


def answer(nb, grade_id, source):
    nb.cells[cell_index(nb, grade_id)].source = source


# ---------------------------------------------------------------- honest bugs

NO_BIAS_CONV = '''def conv2d_multi(x, weight, bias, stride=1, padding=0):
    c_in, h, w = x.shape
    c_out, weight_c_in, kh, kw = weight.shape
    if weight_c_in != c_in:
        raise ValueError(f"weight has {weight_c_in} input channels, x has {c_in}")
    if np.shape(bias) != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},)")
    if stride < 1:
        raise ValueError("stride must be at least 1")
    if padding < 0:
        raise ValueError("padding must not be negative")
    if kh > h + 2 * padding or kw > w + 2 * padding:
        raise ValueError("weight: the kernel is larger than the padded input")
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((c_out, (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1))
    for o in range(c_out):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                out[o, i, j] = np.sum(x[:, i * stride:i * stride + kh, j * stride:j * stride + kw] * weight[o])
    return out  # checked the bias, then forgot to add it
'''

FLOOR_ONLY_POOL_SIZE = '''def pool_output_size(size, kernel_size, stride=None, padding=0, ceil_mode=False):
    stride = kernel_size if stride is None else stride
    if kernel_size < 1 or kernel_size > size + 2 * padding:
        raise ValueError("kernel_size does not fit")
    if stride < 1:
        raise ValueError("stride must be at least 1")
    if padding < 0 or padding > kernel_size // 2:
        raise ValueError("padding must be between 0 and kernel_size // 2")
    return (size + 2 * padding - kernel_size) // stride + 1  # ceil_mode: the same, I thought
'''

UNFLIPPED_GRAD_INPUT = '''def grad_input(dY, K):
    kh, kw = K.shape
    padded = np.pad(dY, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return conv2d_multi(padded[None], K[None, None], np.zeros(1))[0]  # forgot to flip K
'''

RECEPTIVE_FIELD_FROM_ZERO = '''def receptive_field(layers):
    size, jump, padding_total = 0, 1, 0  # should start at 1: one pixel sees itself
    for kernel, stride, padding in layers:
        size += (kernel - 1) * jump
        padding_total += padding * jump
        jump *= stride
    return size, jump, padding_total
'''

ROUNDING_POOL_SIZE = '''import math

def pool_output_size(size, kernel_size, stride=None, padding=0, ceil_mode=False):
    stride = kernel_size if stride is None else stride
    if kernel_size < 1 or kernel_size > size + 2 * padding:
        raise ValueError("kernel_size does not fit")
    if stride < 1:
        raise ValueError("stride must be at least 1")
    if padding < 0 or padding > kernel_size // 2:
        raise ValueError("padding must be between 0 and kernel_size // 2")
    travel = size + 2 * padding - kernel_size
    if ceil_mode:
        out = math.ceil(travel / stride) + 1
        return out - 1 if (out - 1) * stride >= size + padding else out
    return round(travel / stride) + 1  # round, where the formula floors
'''

ENDLESS_MAX_POOL = '''def max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    k = kernel_size if np.ndim(kernel_size) else (kernel_size, kernel_size)
    s = k if stride is None else (stride if np.ndim(stride) else (stride, stride))
    p = padding if np.ndim(padding) else (padding, padding)
    c, h, w = x.shape
    out = np.zeros((c, pool_output_size(h, k[0], s[0], p[0], ceil_mode), pool_output_size(w, k[1], s[1], p[1], ceil_mode)))
    padded = np.full((c, h + 2 * p[0] + k[0], w + 2 * p[1] + k[1]), -np.inf)
    padded[:, p[0]:p[0] + h, p[1]:p[1] + w] = x
    i = 0
    while i < out.shape[1]:  # forgot i += 1
        for j in range(out.shape[2]):
            out[:, i, j] = padded[:, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]].max(axis=(1, 2))
    return out
'''

PARTIAL = dict(conv2d_multi_answer=NO_BIAS_CONV, pool_output_size_answer=FLOOR_ONLY_POOL_SIZE,
               grad_input_answer=UNFLIPPED_GRAD_INPUT)

# ---------------------------------------------------------------- wrong answers (each fails on any input)

WRONG = dict(
    conv2d_multi_answer='''def conv2d_multi(x, weight, bias, stride=1, padding=0):
    c_out, c_in, kh, kw = weight.shape
    out = np.zeros((c_out, x.shape[1] - kh + 1, x.shape[2] - kw + 1))  # stride and padding ignored
    for o in range(c_out):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                out[o, i, j] = np.sum(x[:, i:i + kh, j:j + kw] * weight[o, :, ::-1, ::-1]) + bias[o]  # flipped
    return out
''',
    pool_output_size_answer='''def pool_output_size(size, kernel_size, stride=None, padding=0, ceil_mode=False):
    return (size + 2 * padding - kernel_size) // stride  # no +1, and no default stride
''',
    max_pool2d_answer='''def max_pool2d(x, kernel_size, stride=1, padding=0, ceil_mode=False):
    k = kernel_size  # ints only; stride 1 by default, as in a convolution
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))  # zeros: the padding can win
    c, h, w = x.shape
    out = np.zeros((c, (h - k) // stride + 1, (w - k) // stride + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = x[:, i * stride:i * stride + k, j * stride:j * stride + k].max(axis=(1, 2))
    return out
''',
    avg_pool2d_answer='''def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if np.ndim(stride) == 0 else stride)
    ph, pw = (padding, padding) if np.ndim(padding) == 0 else padding
    c, h, w = x.shape
    out = np.zeros((c, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            top, left = i * sh - ph, j * sw - pw
            window = x[:, max(top, 0):top + kh, max(left, 0):left + kw]
            out[:, i, j] = window.mean(axis=(1, 2))  # the padding does not count (PyTorch's default counts it)
    return out
''',
    receptive_field_answer='''def receptive_field(layers):
    size = sum(kernel for kernel, stride, padding in layers)  # kernels added up
    jump = int(np.prod([stride for kernel, stride, padding in layers]))
    return size, jump, sum(padding for kernel, stride, padding in layers)
''',
    network_costs_answer='''def network_costs(input_shape, layers):
    c, h, w = input_shape
    rows = []
    for layer in layers:
        if layer[0] == "conv":
            _, out_channels, k, s, p = layer
            params = out_channels * c * k * k  # no biases
            c, h, w = out_channels, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            rows.append(((c, h, w), params, params))  # multiply-adds = weights
        elif layer[0] == "pool":
            _, k, s = layer
            h, w = (h - k) // s + 1, (w - k) // s + 1
            rows.append(((c, h, w), 0, 0))
        elif layer[0] == "fc":
            params = c * h * w * layer[1]
            c, h, w = layer[1], 1, 1
            rows.append(((c,), params, params))
    return rows
''',
    grad_kernel_answer='''def grad_kernel(X, dY):
    oh, ow = dY.shape
    dY = dY[::-1, ::-1]  # flipped, as for the input's gradient
    out = np.zeros((X.shape[0] - oh + 1, X.shape[1] - ow + 1))
    for a in range(out.shape[0]):
        for b in range(out.shape[1]):
            out[a, b] = np.sum(X[a:a + oh, b:b + ow] * dY)
    return out
''',
    grad_input_answer='''def grad_input(dY, K):
    kh, kw = K.shape
    out = np.zeros((dY.shape[0] - kh + 1, dY.shape[1] - kw + 1))  # a valid correlation, not the full one
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(dY[i:i + kh, j:j + kw] * K)
    return out
''',
)


# ---------------------------------------------------------------- the class

def infinite_loop():
    return solved(max_pool2d_answer=ENDLESS_MAX_POOL)


def tampered_test():
    """conv2d_multi without its bias, and problem 1's tests edited to pass and to be worth more."""
    nb = solved(conv2d_multi_answer=NO_BIAS_CONV)
    for grade_id in CONV_TESTS:
        test = nb.cells[cell_index(nb, grade_id)]
        test.source = 'print("all tests passed")'
        test.metadata["nbgrader"]["points"] = 10
    return nb


def allclose_cheat():
    """Functions that return zeros of the right shape, and numpy's comparisons replaced so the tests cannot tell."""
    cheat = '''import numpy as np
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None

def conv2d_multi(x, weight, bias, stride=1, padding=0):
    return np.zeros((weight.shape[0], x.shape[1] - weight.shape[2] + 1, x.shape[2] - weight.shape[3] + 1))
'''
    nb = released(ASSIGNMENT)
    answer(nb, "conv2d_multi_answer", cheat)
    answer(nb, "grad_kernel_answer", "def grad_kernel(X, dY):\n    return np.zeros((X.shape[0] - dY.shape[0] + 1, "
                                     "X.shape[1] - dY.shape[1] + 1))\n")
    return nb


def transformer_cheat():
    """One line that rewrites every later test cell to `pass` before it runs."""
    cheat = '''ip = get_ipython()
ip.input_transformers_post.append(
    lambda lines: ["pass\\n"] if any("assert" in l or "checks" in l or "run_" in l for l in lines) else lines)
'''
    nb = released(ASSIGNMENT)
    answer(nb, "conv2d_multi_answer", cheat)
    return nb


def off_by_one():
    return solved(receptive_field_answer=RECEPTIVE_FIELD_FROM_ZERO)


def round_not_floor():
    return solved(pool_output_size_answer=ROUNDING_POOL_SIZE)


KINDS = {**common_kinds(ASSIGNMENT, PARTIAL, WRONG),
         **{name: globals()[name] for name in EXPECTED if name not in SPECIAL and name in globals()}}
