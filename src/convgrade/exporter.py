"""A notebook exporter for autograde that grades an unreadable submission instead of failing on it.

nbgrader reads each submission with nbformat; a truncated or garbled file raises, and that
student drops out of the run with a traceback. TolerantNotebookExporter (set as
Autograde.exporter_class) reads the file itself; when it is not a notebook it grades an empty
notebook instead, flagged "corrupt notebook": RestoreCells puts the tests back, they fail, the
student gets 0 and appears in the gradebook, the feedback and grades.csv like everyone else.
"""
import json

import nbformat
from nbconvert.exporters import NotebookExporter



def read_submission(text):
    """(notebook, None) if text is a gradable notebook, else (None, why not)."""
    try:
        data = json.loads(text)
    except ValueError as error:
        return None, f"not valid JSON ({error})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, "JSON without a list of cells"
    for number, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict) or "cell_type" not in cell or "source" not in cell:
            return None, f"cell {number} is malformed"
    try:
        return nbformat.reads(text, as_version=4), None
    except Exception as error:  # nbformat's many ways of saying no
        return None, f"not a notebook nbformat can read ({type(error).__name__})"


class TolerantNotebookExporter(NotebookExporter):
    """NotebookExporter whose input may be any file: non-notebooks become flagged empty notebooks."""

    def from_file(self, file_stream, resources=None, **kw):
        try:
            nb, reason = read_submission(file_stream.read())
        except UnicodeDecodeError as error:
            nb, reason = None, f"not UTF-8 text ({error.reason})"
        if nb is not None:
            return self.from_notebook_node(nb, resources=resources, **kw)
        self.log.error("Unreadable notebook %s: %s", resources.get("metadata", {}).get("name"), reason)
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        resources = dict(resources or {})
        resources.setdefault("convgrade", {})["corrupt"] = reason  # sanitize.StripIntake records it
        return self.from_notebook_node(nb, resources=resources, **kw)
