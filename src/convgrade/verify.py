"""The check a student's code cannot reach: rerun the notebook's answers in a fresh process.

After the kernel has run the notebook, VerifyOutsideKernel replays its code cells in a new
sandbox process (a fork of a clean server: nothing the kernel did survives there; the test cells
are replayed too, as released, so that names they define exist as in the kernel) and, after each
test cell, runs that test's behaviour check from convgrade.checks with fresh random inputs. The
check runs here, in the grader: the sandbox only executes the student's functions, and the
comparison with the oracle never passes through code the student could patch.

A test cell keeps its points only if it passed in the kernel AND here. A pass in the kernel that
fails here (a monkeypatched np.allclose, an input transformer that rewrites the tests, ...) scores
0, gets the reason as an error output and flags the notebook "suspicious".
"""
import os
import secrets

import numpy as np
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from . import guards, sandbox, status
from .checks import BEHAVIOURS, CheckFailed
from .execution import error_output
from .sanitize import released_source


class VerifyOutsideKernel(NbGraderPreprocessor):
    """Re-check every graded behaviour in a fresh sandbox process; cap each test cell's score by it."""

    cell_timeout = Integer(0, help="seconds per student cell in the sandbox (0: Execute.timeout)").tag(config=True)
    call_timeout = Integer(guards.CALL_SECONDS, help="seconds per call of a student's function").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        sandbox.prestart()  # created before the kernel runs: the server's start overlaps the kernel's work

    def preprocess(self, nb, resources):
        seed = secrets.randbits(63)
        rng = np.random.default_rng(seed)
        failures = {}
        try:
            with sandbox.Sandbox(sandbox.server_socket()) as box:
                failures = self._replay(nb, resources, box, rng)
        except (OSError, RuntimeError) as error:  # no sandbox at all: nothing can be trusted
            self.log.error("The sandbox could not start: %s", error)
            status.record(nb, "grader error", f"the independent re-check could not run: {error}")
            failures = {cell.metadata["nbgrader"]["grade_id"]: f"not re-checked ({error})"
                        for cell in nb.cells if utils.is_grade(cell)}
        suspicious, stopped = [], []
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if not (utils.is_grade(cell) and grade_id in failures):
                continue
            if not any(o.output_type == "error" for o in cell.outputs):  # it passed in the kernel
                message = f"re-checked in a fresh Python process: {failures[grade_id]}"
                cell.outputs.insert(0, error_output("CheckFailed", message))
                suspicious.append(grade_id)
            if "ran past its time limit" in failures[grade_id] or "TimeLimitExceeded" in failures[grade_id]:
                stopped.append(grade_id)
        if suspicious:
            status.record(nb, "suspicious", f"{len(suspicious)} test(s) passed in the notebook but failed "
                                            f"the re-check: {', '.join(suspicious)}")
        if stopped:
            status.record(nb, "timed out", f"the re-check stopped a function that ran too long: {', '.join(stopped)}")
        nb.metadata.setdefault("convgrade", {})["recheck"] = {"seed": seed, "failed": failures}
        return nb, resources

    def _replay(self, nb, resources, box, rng):
        seconds = self.cell_timeout or self.config.Execute.get("timeout", 30) or 30
        student = sandbox.SandboxStudent(box, seconds, self.call_timeout)
        folder = resources.get("metadata", {}).get("path") or "."
        box.request({"op": "chdir", "path": os.path.abspath(folder)}, 5)
        failures = {}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            # test cells too, as released (their hidden part is what the check below does properly):
            # names a test defines (e.g. `out`, or `torch` imported) then exist as in the kernel
            source = released_source(cell.source) if utils.is_grade(cell) else cell.source
            try:
                student.run_cell(source)
            except sandbox.SandboxGone:
                pass  # every later check reports why
            if not utils.is_grade(cell):
                continue
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            if grade_id not in BEHAVIOURS:
                self.log.warning("No independent check for test cell '%s': its kernel result stands", grade_id)
                continue
            message = self._check(grade_id, student, rng)
            if message:
                failures[grade_id] = message
        return failures

    def _check(self, grade_id, student, rng):
        try:
            BEHAVIOURS[grade_id].check(student, rng)
        except CheckFailed as failure:
            return str(failure)
        except Exception as error:  # a value our comparisons could not handle counts as wrong
            self.log.warning("Check '%s' failed with %r", grade_id, error)
            return f"could not check the answer ({type(error).__name__}: {error})"
        return None
