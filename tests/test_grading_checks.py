"""The graded behaviours of the practice, checked against the reference solutions and known mistakes.

The checks (convgrade.checks) run through the sandbox (a fresh process: the way the grader trusts
them) and, for the kernel path, in this process. Oracles: the source notebook's solutions must pass
every check; answers with a known mistake must fail exactly the checks of that behaviour.
"""
import json
import re

import nbformat
import numpy as np
import pytest
import torch

from convgrade import codec, guards, sandbox
from convgrade.checks import BEHAVIOURS, CheckFailed, KernelStudent, run_in_kernel
from convgrade.sandbox import Sandbox, SandboxStudent

from demo_class import make_demo_class
from demo_class.make_demo_class import FLIPPED_CORR2D, PARTIAL, SOURCE, solutions


def source_cells():
    return nbformat.read(SOURCE, as_version=4).cells


def code_before_tests(replacements=None):
    """The source notebook's non-test code cells (solutions, helpers, data), some answers replaced."""
    replacements = replacements or {}
    cells = []
    for cell in source_cells():
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("grade"):
            continue
        cells.append(replacements.get(meta.get("grade_id"), solutions().get(meta.get("grade_id"), cell.source)))
    return cells


def outcomes(student):
    """grade_id -> None if the check passed, else its message."""
    results = {}
    for grade_id, behaviour in BEHAVIOURS.items():
        try:
            behaviour.check(student, np.random.default_rng(1))
            results[grade_id] = None
        except CheckFailed as failure:
            results[grade_id] = str(failure)
    return results


@pytest.fixture(scope="module")
def server():
    path = sandbox.start_server()
    yield sandbox.wait_for_server(path)
    sandbox.stop_server()


def sandboxed(server, cells, cell_seconds=10):
    """A sandbox that ran cells as the grader does (a cell that kills the process stops the rest)."""
    box = Sandbox(server)
    student = SandboxStudent(box, cell_seconds=cell_seconds)
    for source in cells:
        try:
            student.run_cell(source)
        except sandbox.SandboxGone:
            pass
    return box, student


def failed(results):
    return sorted(grade_id for grade_id, message in results.items() if message)


def test_every_test_cell_has_a_check_and_every_check_a_test_cell():
    graded = [c.metadata["nbgrader"]["grade_id"] for c in source_cells() if c.metadata.get("nbgrader", {}).get("grade")]
    assert sorted(graded) == sorted(BEHAVIOURS)
    assert len(graded) == len(set(graded))


def test_reference_solutions_pass_every_check_in_the_sandbox(server):
    box, student = sandboxed(server, code_before_tests())
    with box:
        assert failed(outcomes(student)) == []


def test_reference_solutions_pass_every_check_in_this_process():
    namespace = {"__name__": "__main__"}
    for source in code_before_tests():
        exec(source, namespace)
    for grade_id in BEHAVIOURS:
        run_in_kernel(grade_id, namespace)


def test_known_mistakes_fail_exactly_their_checks(server):
    box, student = sandboxed(server, code_before_tests(PARTIAL))
    with box:
        results = outcomes(student)
    assert failed(results) == sorted([
        "corr2d_rectangular_random", "corr2d_edge_sizes", "out_1_0_window", "window_and_value_rejects_outside",
        "conv_output_size_size_lab", "conv_output_size_random", "conv2d_shapes_pairs_and_no_bias",
        "to_nchw_small", "to_nchw_torch_random"])
    assert "should raise ValueError or IndexError" in results["window_and_value_rejects_outside"]
    assert "conv_output_size(6, 3, 1, 2) gave 6; expected 3" in results["conv_output_size_size_lab"]


def test_a_true_convolution_is_not_the_cross_correlation(server):
    box, student = sandboxed(server, code_before_tests({"corr2d_answer": FLIPPED_CORR2D}))
    with box:
        results = outcomes(student)
    assert failed(results) == ["corr2d_edge_sizes", "corr2d_manual_lab", "corr2d_rectangular_random",
                               "corr2d_square_random"]
    assert re.search(r"is wrong at \(\d, \d\): got -?[\d.]+, expected -?[\d.]+", results["corr2d_manual_lab"])


@pytest.mark.parametrize("library_call", [
    "import convlab\n    return convlab.corr2d(X, K)",
    "return conv2d(torch.tensor(X)[None, None], torch.tensor(K)[None, None])[0, 0].numpy()",
    "import scipy.signal\n    return scipy.signal.correlate2d(X, K, mode='valid')",
])
def test_library_convolutions_earn_nothing(server, library_call):
    # conv2d is bound before the check runs, so patching torch during the test could not catch it
    corr2d = f"import torch\nfrom torch.nn.functional import conv2d\ndef corr2d(X, K):\n    {library_call}\n"
    box, student = sandboxed(server, code_before_tests({"corr2d_answer": corr2d}))
    with box:
        results = outcomes(student)
    assert "used" in results["corr2d_manual_lab"] and "your own code" in results["corr2d_manual_lab"]
    assert results["corr2d_square_random"] and results["corr2d_edge_sizes"]
    assert results["to_nchw_small"] is None  # torch itself is fine where the problem is about torch


def test_nn_conv2d_earns_nothing_for_the_shapes_function(server):
    shapes = ("import torch\ndef conv2d_shapes(input_shape, out_channels, kernel_size, stride=1, padding=0, bias=True):\n"
              "    conv = torch.nn.Conv2d(input_shape[1], out_channels, kernel_size, stride, padding, bias=bias)\n"
              "    y = conv(torch.zeros(input_shape))\n"
              "    return {'output': tuple(y.shape), 'weight': tuple(conv.weight.shape),\n"
              "            'bias': None if conv.bias is None else tuple(conv.bias.shape)}\n")
    box, student = sandboxed(server, code_before_tests({"conv2d_shapes_answer": shapes}))
    with box:
        results = outcomes(student)
    assert "used torch.nn.Conv2d" in results["conv2d_shapes_random"]


ZEROS_CORR2D = "def corr2d(X, K):\n    return np.zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1))\n"


def test_what_the_student_patches_cannot_change_the_comparison(server):
    cheat = "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
    box, student = sandboxed(server, code_before_tests({"corr2d_answer": cheat + ZEROS_CORR2D}))
    with box:
        results = outcomes(student)
    assert "got 0, expected" in results["corr2d_manual_lab"]
    assert results["corr2d_square_random"]


def test_patched_builtins_break_the_sandbox_and_earn_nothing(server):
    cheat = "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda *a: 0\n"
    box, student = sandboxed(server, code_before_tests({"corr2d_answer": cheat + ZEROS_CORR2D}))
    with box:
        results = outcomes(student)
    assert all(results.values()), "every check fails once the sandbox cannot answer"


def test_a_function_that_never_returns_is_stopped(server):
    endless = "def corr2d(X, K):\n    while True:\n        pass\n"
    box, student = sandboxed(server, code_before_tests({"corr2d_answer": endless}))
    rng = np.random.default_rng(0)
    with box:
        with pytest.raises(CheckFailed, match=r"did not finish within 3 s: is there an endless loop\?"):
            BEHAVIOURS["corr2d_manual_lab"].check(student, rng)
        with pytest.raises(CheckFailed, match="did not finish within 3 s before, so it was not run again"):
            BEHAVIOURS["corr2d_square_random"].check(student, rng)
        assert student.call("conv_output_size", 6, 3, 1, 2, own_code=True) == 3  # the sandbox went on


def test_a_cell_that_ends_the_process_fails_the_checks_after_it(server):
    cells = code_before_tests()
    cells.insert(5, "import os\nos._exit(0)")
    box, student = sandboxed(server, cells)
    with box:
        with pytest.raises(CheckFailed, match="ended"):
            student.call("to_nchw", np.zeros((1, 2, 3, 4)))


def test_an_endless_cell_is_stopped_and_the_next_cells_run(server):
    box, student = sandboxed(server, ["x = 1", "while True:\n    pass", "y = x + 1"], cell_seconds=1)
    with box:
        assert student.value("y") == 2


def test_kernel_student_reports_a_missing_answer_in_words():
    with pytest.raises(CheckFailed, match="`found_kernel` is not defined"):
        BEHAVIOURS["found_kernel_reproduces_target"].check(KernelStudent({}), np.random.default_rng(0))


def test_guards_name_the_library_that_was_used():
    import scipy.signal
    with pytest.raises(guards.ForbiddenLibraryError, match="scipy.signal"):
        guards.run_own_code(lambda: scipy.signal.correlate2d(np.ones((3, 3)), np.ones((2, 2))))
    with pytest.raises(guards.ForbiddenLibraryError, match="torch.conv2d"):
        guards.run_own_code(lambda: torch.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2)))
    assert guards.run_own_code(lambda: np.sum(np.ones((3, 3)))) == 9.0


def test_same_shape_takes_tuples_lists_and_torch_sizes_of_ints_only():
    assert guards.same_shape((2, 3), (2, 3)) and guards.same_shape([2, np.int64(3)], (2, 3))
    assert guards.same_shape(torch.zeros(2, 3).shape, (2, 3))
    assert not guards.same_shape((2.0, 3), (2, 3)) and not guards.same_shape((True, 3), (1, 3))
    assert not guards.same_shape(np.array([2, 3]), (2, 3)) and not guards.same_shape((2, 3, 1), (2, 3))


@pytest.mark.parametrize("value", [
    None, True, "text", 3, 2 ** 70, -1.5, (1, (2, 3)), [1.0, None], {"bias": (16,), "output": None},
    np.arange(6, dtype=np.uint8).reshape(2, 3), np.float32(2.5), np.int64(7),
    np.array([[1 + 2j]]), torch.arange(6, dtype=torch.int64).reshape(3, 2), torch.ones(2, dtype=torch.bfloat16),
])
def test_codec_round_trip(value):
    back = codec.decode(json.loads(json.dumps(codec.encode(value))))
    if isinstance(value, torch.Tensor):
        assert isinstance(back, torch.Tensor) and back.dtype == value.dtype and torch.equal(back, value)
    elif isinstance(value, (np.ndarray, np.generic)):
        assert type(back) is type(value) and back.dtype == value.dtype and np.array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_codec_does_not_carry_arbitrary_objects():
    back = codec.decode(json.loads(json.dumps(codec.encode(object()))))
    assert isinstance(back, codec.Unsupported) and "object" in repr(back)
    back = codec.decode(codec.encode(np.array(["a"], dtype=object)))
    assert isinstance(back, codec.Unsupported)
    with pytest.raises(CheckFailed, match="not an array of numbers"):
        from convgrade.compare import as_number_array
        as_number_array(back, "corr2d(X, K)")


def demo_namespace(student):
    """The demo student's notebook run in this process, tests left out (as the sandbox replays it)."""
    nb = nbformat.read(make_demo_class.HERE / "submitted" / student / "conv-basics" / "practice.ipynb", as_version=4)
    namespace = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            try:
                exec(cell.source, namespace)
            except Exception:
                pass
    return namespace


@pytest.mark.parametrize("student", ["full_marks", "partial", "wrong", "tampered_test", "stripped_test"])
def test_demo_answers_score_the_same_on_every_random_draw(student):
    """The end-to-end test expects exact scores: a wrong answer must never pass a check by luck."""
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in source_cells() if c.metadata.get("nbgrader", {}).get("grade")}
    namespace = demo_namespace(student)
    scores = set()
    for seed in range(10):
        score = 0
        for grade_id, behaviour in BEHAVIOURS.items():
            try:
                behaviour.check(KernelStudent(namespace), np.random.default_rng(seed))
                score += points[grade_id]
            except CheckFailed:
                pass
        scores.add(score)
    assert scores == {make_demo_class.EXPECTED[student][0]}
