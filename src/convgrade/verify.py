"""The check the student's code cannot reach: every test cell re-run by the grader itself.

After the kernel has run the notebook (the answers and the visible tests, in the submission's
sandbox), VerifyOutsideKernel starts a fresh re-check process in a sandbox of its own
(replay.Replay) and replays the notebook's code cells there, in order. At each test cell, the
test's code runs in the grader (judge.run_test) against the student's names in that process:
first its visible part, on the same seeded inputs as in the kernel, then the whole test with its
hidden part, which never entered any sandbox.

The grader's verdict is the test cell's record: its outputs become what the grader saw, so the
score (nbgrader's SaveAutoGrades) and the feedback come from the grader, never from what the
student's code printed. A visible part that passed in the kernel but fails here on the same
inputs flags the notebook "suspicious"; an honest bug fails in both and is not flagged. A re-check
process that dies where the kernel did not is a "grader error" for that student.

A test the grader cannot run at all fails closed when the student's notebook is the reason: the
assignment's own source notebook (the solutions) is re-checked once per grading process
(source_recheckability), and a test the grader re-checks there but not here (say the student
turned the tested name into a module) scores 0, flagged "needs review". Only a test that cannot be
re-checked on the solutions either is "not re-checked" (scored as in the kernel, or zero: the
`unverified` setting).
"""
import hashlib
import os
import shutil
import tempfile

import nbformat
import numpy as np
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Enum, Integer

from . import content as assignment_content
from . import budget, isolation, seeds, status
from .execution import error_output, seed_key
from .compare import use_test_rng
from .judge import hidden_lines, run_test, builtins_for_tests, trusted_helpers
from .replay import RemoteNamespace, Replay, ReplayGone
from .sanitize import course_directory, hidden_markers, released_source


def is_test(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def recheck(nb, stored, key, content, folder, settings, cell_seconds, total_seconds, partial_credit=True,
            config=None, total_cpu=None):
    """Replay nb's code cells in a fresh sandbox and judge each test cell in the grader.

    Returns ({grade_id: (visible verdict, whole-test verdict)}, gone), where gone is None, or
    (cell index, why, the status of the limit that stopped it or None) when the re-check process
    stopped answering there.
    """
    try:
        with Replay(settings, folder, content.forbid(), content.preload, total_seconds, total_cpu) as replay:
            return _replay(nb, replay, stored, key, content, cell_seconds, partial_credit, config)
    except ReplayGone as error:  # it did not even start
        return {}, (0, str(error), error.stopped)


def _replay(nb, replay, stored, key, content, cell_seconds, partial_credit, config):
    verdicts = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        seed = seeds.seed(key, "cell", index, grade_id)
        try:
            if is_test(cell):
                verdicts[grade_id] = _judge(replay, stored.get(grade_id, cell.source), grade_id, key, seed,
                                            content, partial_credit, config)
            elif cell.source.strip():
                replay.run_cell(cell.source, seed, cell_seconds)
        except ReplayGone as error:
            return verdicts, (index, str(error), error.stopped)
    return verdicts, None


def _judge(replay, full, grade_id, key, seed, content, partial_credit, config):
    """(visible verdict, whole-test verdict) of one test cell."""
    visible = released_source(full, config)

    def namespace(mirror, rng):
        use_test_rng(rng)
        trusted = {**trusted_helpers(content.call_seconds), "rng": rng,
                   "__builtins__": builtins_for_tests(content.module)}
        if content.module is not None:
            trusted["checks"] = content.module
        return RemoteNamespace(replay, trusted, content.call_seconds, content.test_modules, mirror)

    def hidden_rng():
        return np.random.default_rng(seeds.seed(key, "hidden", grade_id))

    # the visible part binds its names in the sandbox as it runs, as it did in the kernel
    shown = run_test(visible, grade_id, namespace("all", hidden_rng()), seed, partial_credit=partial_credit)
    if shown.kind == "gone":
        raise ReplayGone(shown.message, replay.stopped)
    if visible.strip() == full.strip():
        return shown, shown
    whole = run_test(full, grade_id, namespace("modules", hidden_rng()), seed,
                     hidden_lines(full, *hidden_markers(config)), partial_credit)
    if whole.kind == "gone":
        raise ReplayGone(whole.message, replay.stopped)
    return shown, whole


SOURCE_KEY = "convgrade: the assignment's own solutions"  # any fixed key: what is re-checkable does not depend on it
_source_verdicts = {}  # digest of (source notebook, checks.py, stored tests) -> {grade_id: re-checkable?}


def source_recheckability(source_folder, notebook, stored, content, settings, cell_seconds, total_seconds,
                          config=None):
    """{grade_id: True if the grader can re-check that test on the assignment's own source notebook}.

    The source notebook (the solutions) is replayed in a sandbox like a submission, once per
    process and version of the assignment. A test missing from the answer (the replay did not get
    that far) counts as re-checkable: unknown fails closed.
    """
    path = os.path.join(source_folder, f"{notebook}.ipynb")
    checks = os.path.join(source_folder, assignment_content.CHECKS_FILE)
    digest = hashlib.sha256()
    for part in (path, checks):
        try:
            with open(part, "rb") as handle:
                digest.update(handle.read())
        except OSError:
            digest.update(b"-")
    digest.update(repr(sorted(stored.items())).encode())
    key = digest.hexdigest()
    if key not in _source_verdicts:
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory(prefix="convgrade-source-") as folder:
            for name in os.listdir(source_folder):  # its helper files, not its notebooks or checks
                full = os.path.join(source_folder, name)
                if os.path.isfile(full) and not name.endswith(".ipynb") and name != assignment_content.CHECKS_FILE:
                    shutil.copy(full, folder)
            verdicts, _ = recheck(nb, stored, SOURCE_KEY, content, folder, settings, cell_seconds, total_seconds,
                                  config=config)
        _source_verdicts[key] = {grade_id: whole.judged for grade_id, (_, whole) in verdicts.items()}
    return _source_verdicts[key]


class VerifyOutsideKernel(NbGraderPreprocessor):
    """Re-run every test cell in the grader against a fresh sandboxed replay of the notebook."""

    cell_timeout = Integer(0, help="CPU seconds per replayed cell (0: Execute.timeout)").tag(config=True)
    total_timeout = Integer(0, help="wall-clock backstop of one submission's whole re-check, in seconds "
                                    "(0: Budget.notebook_wall_seconds); its CPU budget is "
                                    "Budget.notebook_cpu_seconds").tag(config=True)
    unverified = Enum(["flag", "zero"], "flag",
                      help="a test the grader cannot re-run on the assignment's own solutions either: 'flag' "
                           "keeps its kernel result with the status 'not re-checked', 'zero' scores it 0 (one "
                           "it re-checks there always scores 0 here, 'needs review')").tag(config=True)
    partial_credit = Bool(True, help="a test whose last expression is a number scores that many "
                                     "points (nbgrader's partial credit)").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = course_directory(self)
        content = assignment_content.load(coursedir.format_path(coursedir.source_directory, ".", "."),
                                          info["assignment"])
        key = seed_key(self, coursedir, info)
        stored = self._stored_sources(info)
        folder = resources.get("metadata", {}).get("path") or "."
        failed_from = resources.get("convgrade", {}).get("kernel_failed_from")
        seconds = self.cell_timeout or self.config.Execute.get("timeout", 30) or 30
        budgets = budget.Budget(parent=self)
        settings = isolation.Isolation(parent=self)
        total_seconds = self.total_timeout or budgets.notebook_wall_seconds
        verdicts, gone = recheck(nb, stored, key, content, folder, settings, seconds, total_seconds,
                                 self.partial_credit, self.config, budgets.notebook_cpu_seconds)
        in_source = {}
        if any(not whole.judged for _, whole in verdicts.values()):
            source_folder = coursedir.format_path(coursedir.source_directory, ".", info["assignment"])
            in_source = source_recheckability(source_folder, info["notebook"], stored, content, settings, seconds,
                                              total_seconds, self.config)
        self._record(nb, verdicts, gone, failed_from, stored, in_source)
        return nb, resources

    def _stored_sources(self, info):
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
            return {c.name: c.source for c in notebook.source_cells}

    def _record(self, nb, verdicts, gone, failed_from, stored, in_source=None):
        """Turn the grader's verdicts into the test cells' outputs and the notebook's statuses.

        failed_from is the cell from which the kernel stopped working (None if it never died): a
        re-check that stopped there or later stopped on the student's code, not the grader's.
        in_source says which tests the grader can re-check on the assignment's own solutions
        (source_recheckability); a test it does not name counts as re-checkable there.
        """
        in_source = in_source or {}
        suspicious, unchecked, slow, lost, review = [], [], [], [], []
        for index, cell in enumerate(nb.cells):
            if not is_test(cell):
                continue
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            passed_in_kernel = not any(o.output_type == "error" for o in cell.outputs)
            points = float(cell.metadata["nbgrader"].get("points", 0))
            full = stored.get(grade_id)
            if grade_id not in verdicts:  # the re-check ended before this test
                kernel_dead = failed_from is not None and gone is not None and failed_from <= gone[0]
                if not kernel_dead:
                    lost.append(grade_id)
                    why = gone[1] if gone else "no re-check"
                    tail = "" if gone and gone[2] else "; your instructor will grade this notebook again"
                    cell.outputs = [error_output("NotReChecked", f"not graded: {why}{tail}")]
                else:
                    cell.outputs = [o for o in cell.outputs if o.output_type == "error"] or \
                        [error_output("KernelDied", "not run: your code ended the Python process before this test")]
            else:
                shown, whole = verdicts[grade_id]
                if not whole.judged and in_source.get(grade_id, True):
                    review.append(f"{grade_id} ({whole.message[:160]})")
                    cell.outputs = [error_output(
                        "NotReChecked", f"scored 0: the grader could not re-check this test on your notebook "
                                        f"({whole.message}), though it can on the assignment's own solutions")]
                elif not whole.judged:
                    unchecked.append(grade_id)
                    note = f"not re-checked by the grader ({whole.message})"
                    if self.unverified == "zero":
                        cell.outputs = [error_output("NotReChecked", note)]
                    else:
                        cell.outputs = [o for o in cell.outputs if o.output_type in ("stream", "error")]
                        cell.outputs.append(_note(note))
                else:
                    cell.outputs = _capped(whole.outputs, points)
                    if passed_in_kernel and not shown.passed and shown.judged:
                        suspicious.append(grade_id)
                        cell.outputs.insert(0, error_output(
                            "CheckFailed", "passed in your notebook, but failed when the grader ran it again "
                                           f"on the same inputs: {shown.message}"))
                    if whole.kind == "timed out":
                        slow.append(grade_id)
            if full is not None:
                cell.source = full  # the autograded copy keeps the whole test, for the instructor
        if suspicious:
            status.record(nb, "suspicious", f"{len(suspicious)} test(s) passed in the notebook but failed "
                                            f"when re-run by the grader on the same inputs: {', '.join(suspicious)}")
        if slow:
            status.record(nb, "timed out", f"a tested function ran past its time limit: {', '.join(slow)}")
        if review:
            status.record(nb, "needs review", f"{len(review)} test(s) the grader re-checks on the assignment's own "
                                              f"solutions could not be re-checked on this notebook, scored 0: "
                                              f"{'; '.join(review)}")
        if unchecked:
            how = "scored 0" if self.unverified == "zero" else "scored as in the kernel"
            status.record(nb, "not re-checked", f"{how}: {', '.join(unchecked)}")
        if lost and gone[2]:
            status.record(nb, gone[2], f"the re-check was stopped ({gone[1]}): {', '.join(lost)}")
        elif lost:
            status.record(nb, "grader error", f"the re-check stopped early ({gone[1]}); re-grade this student: "
                                              f"{', '.join(lost)}")


def _note(text):
    from nbformat.v4 import new_output
    return new_output("stream", name="stdout", text=f"[grader] {text}\n")


def _capped(outputs, points):
    """nbgrader refuses partial credit above the cell's points: cap it there."""
    for output in outputs:
        if output.output_type == "execute_result":
            try:
                value = float(output.data["text/plain"])
            except (KeyError, ValueError):
                continue
            output.data["text/plain"] = repr(min(max(value, 0.0), points))
    return outputs
