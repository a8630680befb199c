"""nbgrader preprocessor for generate_feedback: students read why a test failed, never its hidden code.

nbgrader 0.9 renders the autograded notebook as it is, hidden tests included. HideHiddenTests
removes each test cell's hidden region with nbgrader's own ClearHiddenTests (the docstring that
says what the test checks stays) and shortens every test cell's error to its message in words
(a traceback would quote the hidden lines).
"""
import textwrap

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTE = "# (the hidden part of this test is not shown)"


class HideHiddenTests(ClearHiddenTests):
    """ClearHiddenTests for feedback: hide hidden regions, reduce test errors to one line."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not utils.is_grade(cell) or cell.cell_type != "code":
            return cell, resources
        if self._remove_hidden_test_region(cell):
            cell.source = cell.source.rstrip() + "\n" + HIDDEN_NOTE
        for output in cell.outputs:
            if output.output_type == "error":
                message = f"{output.ename}: {output.evalue}"
                output.traceback = ["\n".join(textwrap.fill(line, 100) for line in message.splitlines())]
        return cell, resources
