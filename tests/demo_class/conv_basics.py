"""The demo class of conv-basics: one submission per kind of notebook a real class hands in.

Each kind starts from the released notebook (what students download) and changes it the way
that student did: answers from the source notebook's solutions, wrong ones, or edits to the
tests, the metadata or the file itself. EXPECTED says which tests each one passes or fails and
its status; the scores follow from the notebook's points (make_demo_class.score).
"""
import copy

from .make_demo_class import ALL, cell_index, common_kinds, fails, new_cell, only, released, solutions, solved as _solved

ASSIGNMENT = "conv-basics"
NOTEBOOK = "practice"

RANDOM_CORR2D = ["corr2d_square_random", "corr2d_rectangular_random", "corr2d_edge_sizes"]
CORR2D_TESTS = ["corr2d_manual_lab"] + RANDOM_CORR2D
CONV_OUTPUT_SIZE_TESTS = ["conv_output_size_size_lab", "conv_output_size_random", "conv_output_size_rejects_impossible"]
PROBLEM_2_TESTS = ["window_and_value_top_left", "out_1_0_window", "out_1_0_value", "window_and_value_random",
                   "window_and_value_rejects_outside"]
PROBLEM_3_TESTS = [*CONV_OUTPUT_SIZE_TESTS, "size_lab_stride1_shape"]
PROBLEM_4_TESTS = ["conv2d_shapes_channel_lab", "channel_lab_16_shapes", "conv2d_shapes_random",
                   "conv2d_shapes_pairs_and_no_bias"]
PROBLEM_5_TESTS = ["to_nchw_small", "to_nchw_numpy_random", "to_nchw_torch_random", "to_nchw_rejects_non_4d"]

# student -> (which tests pass, status): "ok" or the flags in the order of convgrade.status.STATUSES
EXPECTED = {
    "full_marks": (ALL, "ok"),
    "partial": (fails("corr2d_rectangular_random", "corr2d_edge_sizes", "out_1_0_window",
                      "window_and_value_rejects_outside", "conv_output_size_size_lab", "conv_output_size_random",
                      "conv2d_shapes_pairs_and_no_bias", "to_nchw_small", "to_nchw_torch_random"), "ok"),
    # every answer of problems 1-5 wrong; the blur kernel is symmetric, so flipping it changes nothing
    "wrong": (fails(*CORR2D_TESTS, "found_kernel_reproduces_target", *PROBLEM_2_TESTS, *PROBLEM_3_TESTS,
                    *PROBLEM_4_TESTS, *PROBLEM_5_TESTS), "ok"),
    "untouched_stub": (only(), "ok"),
    "infinite_loop": (fails(*CORR2D_TESTS), "timed out"),
    "corrupt_json": (only(), "corrupt notebook"),
    "missing_notebook": (only(), "missing notebook"),
    "tampered_test": (fails(*CORR2D_TESTS), "tampered"),
    "deleted_test": (ALL, "tampered"),
    "stripped_test": (fails(*CONV_OUTPUT_SIZE_TESTS, "conv2d_shapes_channel_lab", "conv2d_shapes_random",
                            "conv2d_shapes_pairs_and_no_bias"), "tampered"),  # conv2d_shapes uses the broken one
    "duplicated_cell": (ALL, "ok"),
    "allclose_cheat": (only(), "suspicious; needs review"),
    "transformer_cheat": (only(), "suspicious; needs review"),
    "kernel_exit": (only(*CORR2D_TESTS, "found_kernel_reproduces_target", "predicted_blur_output",
                         "window_and_value_top_left", "out_1_0_window", "out_1_0_value", "window_and_value_random",
                         "window_and_value_rejects_outside"), "kernel died"),
    "warning_to_stderr": (ALL, "ok"),
    "huge_output": (ALL, "ok"),
    "slow_loop": (ALL, "ok"),
    "extra_copied_cell": (ALL, "ok"),
    "kills_grader": (ALL, "needs review"),
    # honest bugs: they fail in the notebook and in the grader alike, and are never suspicious
    "off_by_one": (fails(*CORR2D_TESTS), "ok"),
    "round_not_floor": (fails("conv_output_size_random", "conv2d_shapes_random", "conv2d_shapes_pairs_and_no_bias"), "ok"),
}
SPECIAL = {"corrupt_json", "missing_notebook"}  # files, not notebooks: make_demo_class writes them


def solved(**replacements):
    return _solved(ASSIGNMENT, **replacements)


def answer(nb, grade_id, source):
    nb.cells[cell_index(nb, grade_id)].source = source


# ---------------------------------------------------------------- wrong and partial answers

SQUARE_ONLY_CORR2D = '''def corr2d(X, K):
    k = K.shape[0]  # assumes a square kernel
    out = np.zeros((X.shape[0] - k + 1, X.shape[1] - k + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(X[i:i + k, j:j + k] * K)
    return out
'''

FLIPPED_CORR2D = '''def corr2d(X, K):
    K = np.flip(K)  # a true convolution, not the cross-correlation CNNs use
    kh, kw = K.shape
    out = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return out
'''

ENDLESS_CORR2D = '''def corr2d(X, K):
    kh, kw = K.shape
    out = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    i = 0
    while i < out.shape[0]:  # forgot i += 1
        for j in range(out.shape[1]):
            out[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return out
'''

HARD_CODED_KERNEL_ANSWERS = '''found_kernel = np.array([[-1.0, 1.0], [-1.0, 1.0]])
predicted_output = np.array([[2.75, 1.25, 1.0], [2.75, 1.75, 2.0], [1.25, 1.75, 1.75]])
'''

UNCHECKED_WINDOW = '''def window_and_value(X, K, i, j):
    kh, kw = K.shape
    window = X[i:i + kh, j:j + kw]
    value = 0.0
    for a in range(kh):
        for b in range(kw):
            value += X[i + a, j + b] * K[a, b]  # X[-1] is the last row: no error for i = -1
    return window, value
'''

NO_STRIDE_OUTPUT_SIZE = '''def conv_output_size(n, k, p=0, s=1):
    if s < 1 or k > n + 2 * p:
        raise ValueError("kernel does not fit or stride below 1")
    return n + 2 * p - k + 1  # forgot the stride
'''

INT_ONLY_SHAPES = '''def conv2d_shapes(input_shape, out_channels, kernel_size, stride=1, padding=0, bias=True):
    n, c_in, h, w = input_shape
    size = lambda m: (m + 2 * padding - kernel_size) // stride + 1  # ints only, no (h, w) pairs
    return {"output": (n, out_channels, size(h), size(w)),
            "weight": (out_channels, c_in, kernel_size, kernel_size),
            "bias": (out_channels,) if bias else None}
'''

OFF_BY_ONE_CORR2D = '''def corr2d(X, K):
    kh, kw = K.shape
    out = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(out.shape[0] - 1):  # stops one row early
        for j in range(out.shape[1]):
            out[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return out
'''

ROUNDING_OUTPUT_SIZE = '''def conv_output_size(n, k, p=0, s=1):
    if s < 1 or k > n + 2 * p:
        raise ValueError("kernel does not fit or stride below 1")
    return int(round((n + 2 * p - k) / s)) + 1  # round, where the formula floors
'''

NUMPY_ONLY_NCHW = '''def to_nchw(x):
    return x.transpose(0, 3, 1, 2)  # numpy only: a tensor's transpose swaps two axes
'''

PARTIAL = dict(
    corr2d_answer=SQUARE_ONLY_CORR2D,
    hand_answers="window_1_0 = np.array([[1, 2], [4, 5]])  # a common slip\nvalue_1_0 = 4\n",
    window_and_value_answer=UNCHECKED_WINDOW,
    conv_output_size_answer=NO_STRIDE_OUTPUT_SIZE,
    conv2d_shapes_answer=INT_ONLY_SHAPES,
    to_nchw_answer=NUMPY_ONLY_NCHW,
)

WRONG = dict(
    corr2d_answer=FLIPPED_CORR2D,
    kernel_answers="found_kernel = np.array([[1.0, -1.0], [1.0, -1.0]])\n"
                   "predicted_output = corr2d(image, blur_kernel)\n",
    hand_answers="window_1_0 = np.array([[1, 2], [4, 5]])\nvalue_1_0 = 2\n",
    window_and_value_answer='''def window_and_value(X, K, i, j):
    kh, kw = K.shape
    window = X[i:i + kh, j:j + kw]
    return window, np.sum(window) * np.sum(K)
''',
    size_answer="size_lab_stride1_shape = (1, 2, 3, 3)\n",
    conv_output_size_answer="def conv_output_size(n, k, p=0, s=1):\n    return (n - k + 2 * p) / s + 1\n",
    channel_answer='channel_lab_16 = {"input": (2, 16, 32, 32), "output": (2, 16, 32, 32),\n'
                   '                  "weight": (16, 3, 3, 3), "bias": (16,)}\n',
    conv2d_shapes_answer='''def conv2d_shapes(input_shape, out_channels, kernel_size, stride=1, padding=0, bias=True):
    n, c_in, h, w = input_shape
    size = lambda m: (m - kernel_size + 2 * padding) / stride + 1
    return {"output": (n, out_channels, size(h), size(w)),
            "weight": (c_in, out_channels, kernel_size, kernel_size), "bias": (out_channels,)}
''',
    to_nchw_answer="def to_nchw(x):\n    n, h, w, c = x.shape\n    return x.reshape(n, c, h, w)\n",
)


# ---------------------------------------------------------------- the class

def infinite_loop():
    return solved(corr2d_answer=ENDLESS_CORR2D, kernel_answers=HARD_CODED_KERNEL_ANSWERS)


def tampered_test():
    """A wrong corr2d, and the problem 1 tests edited to pass and to be worth more."""
    nb = solved(corr2d_answer=FLIPPED_CORR2D, kernel_answers=HARD_CODED_KERNEL_ANSWERS)
    for grade_id in ("corr2d_manual_lab", "corr2d_square_random", "corr2d_rectangular_random", "corr2d_edge_sizes"):
        test = nb.cells[cell_index(nb, grade_id)]
        test.source = 'print("all tests passed")'
        test.metadata["nbgrader"]["points"] = 10
    return nb


def deleted_test():
    nb = solved()
    for grade_id in ("window_and_value_top_left", "conv_output_size_random", "lab_data"):
        del nb.cells[cell_index(nb, grade_id)]
    return nb


def stripped_test():
    """conv_output_size forgets the +1; its tests lose their metadata and become `pass`."""
    nb = solved(conv_output_size_answer="def conv_output_size(n, k, p=0, s=1):\n"
                                        "    if s < 1 or k > n + 2 * p:\n        raise ValueError('bad')\n"
                                        "    return (n + 2 * p - k) // s\n")
    for grade_id in ("conv_output_size_size_lab", "conv_output_size_random", "conv_output_size_rejects_impossible"):
        test = nb.cells[cell_index(nb, grade_id)]
        test.metadata = {}
        test.source = "pass"
    return nb


def duplicated_cell():
    """A copy of a test cell pasted below it (JupyterLab gives the copy a new id, same metadata).

    This student also leans on names the test cells define: `out` from problem 1's visible test,
    and `torch`, imported by problem 5's visible test before the hidden tests call to_nchw.
    """
    nb = solved(hand_answers="window_1_0 = image[1:3, 0:2]\nvalue_1_0 = out[1, 0]  # out: from the test above\n",
                to_nchw_answer="def to_nchw(x):\n    if x.ndim != 4:\n        raise ValueError(f'shape {x.shape}')\n"
                               "    if isinstance(x, torch.Tensor):\n        return x.permute(0, 3, 1, 2)\n"
                               "    return x.transpose(0, 3, 1, 2)\n")
    index = cell_index(nb, "corr2d_manual_lab")
    copy_ = copy.deepcopy(nb.cells[index])
    copy_["id"] = "copied-test"
    nb.cells.insert(index + 1, copy_)
    return nb


def allclose_cheat():
    """Functions that return zeros, and numpy's comparisons replaced so the tests cannot tell."""
    cheat = '''import numpy as np
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None

def corr2d(X, K):
    return np.zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1))
'''
    nb = released(ASSIGNMENT)
    answer(nb, "corr2d_answer", cheat)
    answer(nb, "window_and_value_answer",
           "def window_and_value(X, K, i, j):\n    return np.zeros(K.shape), -2\n")
    return nb


def transformer_cheat():
    """One line that rewrites every later test cell to `pass` before it runs."""
    cheat = '''ip = get_ipython()
ip.input_transformers_post.append(
    lambda lines: ["pass\\n"] if any("assert" in l or "checks." in l or "run_" in l for l in lines) else lines)
'''
    nb = released(ASSIGNMENT)
    answer(nb, "corr2d_answer", cheat)
    return nb


def kernel_exit():
    """Problems 1 and 2 solved, then a call that ends the kernel's process."""
    nb = solved()
    answer(nb, "size_answer", "import os\nos._exit(0)  # 'stop here'\n")
    return nb


def warning_to_stderr():
    source = solutions(ASSIGNMENT)["corr2d_answer"].replace(
        "    X = np.asarray", "    import warnings\n    warnings.warn('corr2d: loops are slow')\n"
        "    print('corr2d called', file=sys.stderr)\n    X = np.asarray", 1)
    nb = solved(corr2d_answer="import sys\n" + source)
    nb.cells.insert(cell_index(nb, "corr2d_answer") + 1,
                    new_cell("import warnings\nwarnings.warn('just checking', UserWarning)\nprint(corr2d(image, kernel))",
                             "try-it"))
    return nb


def huge_output():
    nb = solved()
    nb.cells.insert(cell_index(nb, "corr2d_answer") + 1,
                    new_cell("first = corr2d(image, kernel)[0, 0]\nfor i in range(30_000):\n    print(i, first)\n"
                             "print('x' * 2_000_000)", "print-everything"))
    return nb


def slow_loop():
    nb = solved()
    nb.cells.insert(cell_index(nb, "corr2d_answer") + 1, new_cell(
        "import time\nstart = time.time()\nruns = 0\nwhile time.time() - start < 2:  # time my corr2d\n"
        "    corr2d(np.random.rand(16, 16), kernel)\n    runs += 1\nprint(runs, 'runs in 2 s')", "timing"))
    return nb


def extra_copied_cell():
    """The answer cell copied (same grade_id) to experiment below, plus a scratch cell."""
    nb = solved()
    index = cell_index(nb, "corr2d_answer")
    copy_ = copy.deepcopy(nb.cells[index])
    copy_["id"] = "my-experiment"
    copy_.source += "\nprint(corr2d(np.eye(3), np.ones((2, 2))))\n"
    nb.cells.insert(index + 1, copy_)
    nb.cells.insert(index + 2, new_cell("scratch = corr2d(image, kernel)\nscratch.sum()", "scratch"))
    return nb


def kills_grader():
    """Problem 1 solved, then an attempt to kill the process running the notebook (the kernel's
    parent); in the sandbox that parent is bubblewrap's init, which ignores it."""
    nb = solved()
    nb.cells.insert(cell_index(nb, "corr2d_answer") + 1,
                    new_cell("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", "stop-the-grader"))
    return nb



def off_by_one():
    return solved(corr2d_answer=OFF_BY_ONE_CORR2D)


def round_not_floor():
    return solved(conv_output_size_answer=ROUNDING_OUTPUT_SIZE)


KINDS = {**common_kinds(ASSIGNMENT, PARTIAL, WRONG),
         **{name: globals()[name] for name in EXPECTED if name not in SPECIAL and name in globals()}}
