"""The nbgrader extensions that need no gradebook, on small notebooks built here.

(RecordTampering, RestoreCells and VerifyOutsideKernel need a gradebook and a sandbox: the
end-to-end tests grade a class that exercises them.)
"""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader import utils

from convgrade.exporter import read_submission
from convgrade.execution import TidyOutputs, failed_from as failed_from_kernel
from convgrade.feedback import HIDDEN_NOTE, HideHiddenTests
from convgrade.sanitize import DropDuplicateIds
from convgrade.status import flags_of


def graded_cell(source="assert True", outputs=(), grade_id="a_test"):
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": 1.0,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def stderr(text="UserWarning: slow\n"):
    return new_output("stream", name="stderr", text=text)


def error(ename="AssertionError", evalue="wrong"):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def score(cell):
    return utils.determine_grade(cell)[0]


def tidy(*cells):
    nb = new_notebook(cells=list(cells))
    TidyOutputs().preprocess(nb, {})
    return nb


def test_a_warning_on_stderr_no_longer_zeroes_a_passing_test():
    cell = graded_cell(outputs=[stderr(), new_output("stream", name="stdout", text="ok\n")])
    assert score(cell) == 0  # what nbgrader 0.9 alone would give
    tidy(cell)
    assert score(cell) == 1 and "UserWarning: slow" in cell.outputs[0].text


def test_a_failing_test_still_scores_zero():
    cell = graded_cell(outputs=[stderr(), error()])
    tidy(cell)
    assert score(cell) == 0 and cell.outputs[0].name == "stderr"


def test_a_value_shown_by_a_test_cell_is_not_partial_credit():
    shown = new_output("execute_result", data={"text/plain": "0.25"}, execution_count=1)
    cell = graded_cell(outputs=[shown])
    assert score(cell) == 0.25
    tidy(cell)
    assert score(cell) == 1


def test_huge_outputs_are_cut_everywhere():
    answer = new_code_cell("print(...)", outputs=[
        new_output("stream", name="stdout", text="x" * 1_000_000),
        new_output("display_data", data={"text/html": "<b>x</b>" * 100_000, "text/plain": "<HTML>"}),
    ] + [new_output("stream", name="stdout", text="line\n") for _ in range(500)])
    tidy(answer)
    assert len(answer.outputs) == 51 and "more outputs removed" in answer.outputs[-1].text
    assert len(answer.outputs[0].text) < 21_000 and "characters removed by the grader" in answer.outputs[0].text
    assert list(answer.outputs[1].data) == ["text/plain"] and "removed by the grader" in answer.outputs[1].data["text/plain"]


def test_a_cell_past_its_time_limit_flags_the_notebook():
    # (a test that stops a slow function is flagged by the grader's own verdict, in verify.py)
    endless = new_code_cell("while True: pass", outputs=[error("CellTimeoutError", "")])
    nb = tidy(graded_cell(), endless)
    assert [f["status"] for f in flags_of(nb)] == ["timed out"]
    assert "cell 2" in flags_of(nb)[0]["detail"]


def test_feedback_hides_the_hidden_part_and_keeps_the_reason():
    source = '"""corr2d matches PyTorch."""\n_ = corr2d(image, kernel)\n### BEGIN HIDDEN TESTS\nsecret_check()\n### END HIDDEN TESTS'
    cell = graded_cell(source, outputs=[new_output("error", ename="CheckFailed", evalue="corr2d(X, K) is wrong " * 20,
                                                  traceback=["Traceback", "secret_check()", "CheckFailed: ..."])])
    nb = new_notebook(cells=[cell])
    HideHiddenTests().preprocess(nb, {})
    assert "secret_check" not in cell.source and cell.source.endswith(HIDDEN_NOTE)
    assert '"""corr2d matches PyTorch."""' in cell.source
    assert len(cell.outputs[0].traceback) == 1 and "secret_check" not in cell.outputs[0].traceback[0]
    assert max(len(line) for line in cell.outputs[0].traceback[0].splitlines()) <= 100


def test_copies_lose_their_metadata_and_ids_stay_unique():
    first, copy_ = graded_cell("print(1)"), graded_cell("print(2)")
    nb = new_notebook(cells=[first, copy_])
    copy_["id"] = first["id"]  # a copy made outside JupyterLab
    DropDuplicateIds().preprocess(nb, {})
    assert "nbgrader" not in first.metadata and copy_.metadata["nbgrader"]["grade_id"] == "a_test"
    assert first["id"] != copy_["id"]
    nbformat.validate(nb)


def test_unreadable_submissions_are_told_apart_from_notebooks():
    text = nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")]))
    nb, state, reason = read_submission(text)
    assert reason is None and nb.cells[0].source == "x = 1"
    assert read_submission(text[: len(text) // 2])[2].startswith("not valid JSON")
    assert read_submission('{"cells": "none"}')[2] == "JSON without a list of cells"
    assert read_submission('{"cells": [{"source": "x"}]}')[2] == "cell 1 is malformed"
    assert read_submission("[]")[2] == "JSON without a list of cells"


def recheck_statuses(failed_from, gone):
    """Statuses of a notebook whose re-check stopped at `gone` (cell index, why, timed out?)."""
    from convgrade.verify import VerifyOutsideKernel
    cells = [new_code_cell("answer = 1"), graded_cell(grade_id="first"),
             new_code_cell("import time; time.sleep(60)", outputs=[error("CellTimeoutError", "")]),
             graded_cell(grade_id="second"), new_code_cell("import os; os._exit(1)"), graded_cell(grade_id="third")]
    nb = new_notebook(cells=cells)
    if failed_from == "from the kernel":
        failed_from = failed_from_kernel(cells, died_at=4)
    judged = type("Verdict", (), {"judged": True, "passed": True, "outputs": [], "kind": "passed", "message": ""})()
    VerifyOutsideKernel()._record(nb, {"first": (judged, judged)}, gone, failed_from, {})
    return [f["status"] for f in flags_of(nb)], nb


def test_a_recheck_that_stops_where_the_kernel_got_stuck_is_the_students_doing():
    # the kernel: cell 3 stopped at its time limit, the kernel died in cell 5; the re-check died in cell 3
    statuses, nb = recheck_statuses("from the kernel", gone=(2, "the re-check process ended", False))
    assert "grader error" not in statuses
    assert [o.ename for o in nb.cells[3].outputs] == ["KernelDied"]


def test_a_recheck_that_stops_where_the_kernel_ran_on_is_a_grader_error():
    statuses, nb = recheck_statuses(None, gone=(2, "the re-check process ended", False))
    assert statuses == ["grader error"] and nb.cells[3].outputs[0].ename == "NotReChecked"
    # a kernel that died later than where the re-check stopped does not excuse it either
    statuses, _ = recheck_statuses(4, gone=(2, "the re-check process ended", False))
    assert statuses == ["grader error"]


def test_the_lines_a_student_never_sees_follow_the_configured_hidden_test_markers():
    """The grader quotes a failing test line to the student only outside hidden regions; with a
    course's own markers (c.ClearHiddenTests.*) the hidden lines must still be the hidden ones."""
    from traitlets.config import Config

    from convgrade.judge import hidden_lines
    from convgrade.sanitize import hidden_markers, released_source
    config = Config()
    config.ClearHiddenTests.begin_test_delimeter = "SECRET START"
    config.ClearHiddenTests.end_test_delimeter = "SECRET STOP"
    source = "assert f(1) == 1\n### SECRET START\nassert f(2) == 4  # the hidden check\n### SECRET STOP\n"
    assert "the hidden check" not in released_source(source, config)  # nbgrader's own removal (the oracle)
    assert hidden_lines(source, *hidden_markers(config)) == {2, 3, 4}
