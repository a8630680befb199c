"""nbgrader preprocessors for the execution step of autograde.

ResilientExecute  nbgrader's Execute, but a kernel that dies (the student's code called exit() or
                  crashed it) no longer throws the whole submission away: the cells before keep
                  their results, the cells after get an error saying why, and the notebook is flagged.
TidyOutputs       what a test cell shows cannot change its score except through our own tests:
                  stderr from a student's warning no longer zeroes a passing test, a value
                  displayed by a test cell is not read as partial credit, and huge outputs are cut.
"""
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from . import status

TIMEOUT_MARKERS = ("CellTimeoutError", "TimeLimitExceeded")


def error_output(ename, evalue):
    """An error output with a one-line traceback (the words are the message)."""
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class ResilientExecute(Execute):
    """Execute that survives a dead kernel: later cells fail with a reason instead of aborting grading."""

    def preprocess(self, nb, resources=None, km=None):
        self._died_at = None
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except DeadKernelError:  # raised while shutting the dead kernel down
            nb = self.nb
        if self._died_at is not None:
            status.record(nb, "kernel died", f"the kernel died while running cell {self._died_at + 1}")
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if self._died_at is not None:
            if cell.cell_type == "code":
                cell.outputs = [error_output("KernelDied", f"not run: the kernel had died in cell {self._died_at + 1}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_at = index
            cell.outputs.append(error_output("KernelDied", "the kernel died while running this cell"))
            return cell, resources


class TidyOutputs(NbGraderPreprocessor):
    """Cap output sizes everywhere; in test cells, score by errors only."""

    max_chars = Integer(20_000, help="longest text kept per output").tag(config=True)
    max_outputs = Integer(50, help="most outputs kept per cell").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if len(cell.outputs) > self.max_outputs:
            dropped = len(cell.outputs) - self.max_outputs
            cell.outputs = cell.outputs[:self.max_outputs] + [
                new_output("stream", name="stdout", text=f"... {dropped} more outputs removed by the grader ...\n")]
        for output in cell.outputs:
            self._cap(output)
        if utils.is_grade(cell):
            self._score_by_errors(cell, resources)
        return cell, resources

    def _cap(self, output):
        if output.output_type == "stream" and len(output.text) > self.max_chars:
            half = self.max_chars // 2
            cut = len(output.text) - self.max_chars
            output.text = f"{output.text[:half]}\n... {cut} characters removed by the grader ...\n{output.text[-half:]}"
        data = output.get("data", {})
        for mime, value in list(data.items()):
            size = len(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else str(value))
            if size > self.max_chars:
                del data[mime]  # a huge image or HTML table
                data["text/plain"] = f"[{size} characters of {mime} removed by the grader]"
        if output.output_type == "error":
            output.evalue = output.evalue[:self.max_chars]
            output.traceback = [line[:self.max_chars] for line in output.traceback]

    def _score_by_errors(self, cell, resources):
        failed = any(o.output_type == "error" for o in cell.outputs)
        kept = []
        for output in cell.outputs:
            if output.output_type == "execute_result":
                continue  # our tests return nothing; a value here would be read as partial credit
            if output.output_type == "stream" and output.name == "stderr" and not failed:
                output.name = "stdout"  # a warning from the student's code is not a failed test
            kept.append(output)
        cell.outputs = kept
        if failed and any(marker in (o.get("ename", "") + o.get("evalue", ""))
                          for o in cell.outputs for marker in TIMEOUT_MARKERS):
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            resources.setdefault("convgrade_timeouts", []).append(grade_id)

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        for number, cell in enumerate(nb.cells, start=1):
            if cell.cell_type == "code" and any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                status.record(nb, "timed out", f"cell {number} ran past the per-cell time limit")
        timeouts = resources.pop("convgrade_timeouts", [])
        if timeouts:
            status.record(nb, "timed out", "tests stopped a function that ran too long: " + ", ".join(timeouts))
        return nb, resources
