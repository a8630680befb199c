"""A notebook exporter for autograde that grades an unreadable, oversized or linked submission instead
of failing on it, before anything expensive happens to it.

nbgrader reads each submission with nbformat; a truncated or garbled file raises, and that
student drops out of the run with a traceback. TolerantNotebookExporter (set as
Autograde.exporter_class) reads the file itself, and when it is not a gradable notebook it grades
an empty notebook instead: RestoreCells puts the tests back, they fail, the student gets 0 and
appears in the gradebook, the feedback and grades.csv like everyone else, with a status:

- "corrupt notebook": not JSON, not a notebook, or JSON nested deeper than max_depth (which
  would otherwise end in a RecursionError somewhere in the grader: a "grader error");
- "too large": bigger than max_bytes, more than max_cells cells, or more than max_markdown_chars
  characters of Markdown (the feedback page renders all of it). Each cap is far above an honest
  notebook of the course, and each is checked before the next step costs more than reading;
- "tampered": the notebook is a symbolic link, a hard link or not a regular file (links.py);
  other such entries of the submission folder are named in the same status, and never read.
"""
import json
import os

import nbformat
from nbconvert.exporters import NotebookExporter
from traitlets import Dict, Integer

from . import links


def nesting_depth(data, limit):
    """How deeply `data` (parsed JSON) nests, counted without recursion; stops counting past limit."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return deepest


class Caps:
    """The intake caps (TolerantNotebookExporter's settings), for read_submission."""

    def __init__(self, max_bytes=20_000_000, max_depth=64, max_cells=1_000, max_markdown_chars=500_000):
        self.max_bytes, self.max_depth = max_bytes, max_depth
        self.max_cells, self.max_markdown_chars = max_cells, max_markdown_chars


def read_submission(text, caps=None):
    """(notebook, None, None) if text is a gradable notebook, else (None, status, why not)."""
    caps = caps or Caps()
    if len(text) > caps.max_bytes:
        return None, "too large", f"the notebook has {len(text)} characters (the grader's cap is {caps.max_bytes})"
    try:
        data = json.loads(text)
    except RecursionError:
        return None, "corrupt notebook", "JSON nested too deeply to read"
    except ValueError as error:
        return None, "corrupt notebook", f"not valid JSON ({error})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, "corrupt notebook", "JSON without a list of cells"
    depth = nesting_depth(data, caps.max_depth)
    if depth > caps.max_depth:
        return None, "corrupt notebook", f"JSON nested more than {caps.max_depth} levels deep"
    if len(data["cells"]) > caps.max_cells:
        return None, "too large", f"the notebook has {len(data['cells'])} cells (the grader's cap is {caps.max_cells})"
    markdown = 0
    for number, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict) or "cell_type" not in cell or "source" not in cell:
            return None, "corrupt notebook", f"cell {number} is malformed"
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            markdown += sum(len(line) for line in source if isinstance(line, str)) if isinstance(source, list) \
                else len(source) if isinstance(source, str) else 0
    if markdown > caps.max_markdown_chars:
        return None, "too large", (f"the notebook has {markdown} characters of Markdown "
                                   f"(the grader's cap is {caps.max_markdown_chars})")
    try:
        return nbformat.reads(text, as_version=4), None, None
    except RecursionError:
        return None, "corrupt notebook", "JSON nested too deeply to read"
    except Exception as error:  # nbformat's many ways of saying no
        return None, "corrupt notebook", f"not a notebook nbformat can read ({type(error).__name__})"


class TolerantNotebookExporter(NotebookExporter):
    """NotebookExporter whose input may be any file: what cannot be graded becomes a flagged empty notebook."""

    max_bytes = Integer(20_000_000, help="largest notebook file graded, in characters").tag(config=True)
    max_depth = Integer(64, help="deepest JSON nesting graded (an honest notebook has under 15)").tag(config=True)
    max_cells = Integer(1_000, help="most cells graded in one notebook").tag(config=True)
    max_markdown_chars = Integer(500_000, help="most characters of Markdown in one notebook").tag(config=True)
    refused = Dict(help="entries of the submission folder that were not read, {relative path: why} "
                        "(set by make grade's task, which reads the folder itself)").tag(config=True)

    def _caps(self):
        return Caps(self.max_bytes, self.max_depth, self.max_cells, self.max_markdown_chars)

    def from_filename(self, filename, resources=None, **kw):
        """Read the submitted notebook without following a link; refuse links and special files."""
        resources = resources if resources is not None else {}
        if self._in_autograded(filename, resources):  # the second pass reads the grader's own copy
            return super().from_filename(filename, resources=resources, **kw)
        folder, name = os.path.split(filename)
        refused = {**links.refused_entries(folder), **self.refused}
        why = refused.pop(name, "")
        if refused:
            resources.setdefault("convgrade", {})["refused"] = refused
            self._remove_copies(refused, resources)
        handle = None
        if not why:
            try:
                handle = os.fdopen(os.open(filename, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb")
                why = links.refusal(os.fstat(handle.fileno()))
            except OSError as error:
                why = "a symbolic link" if os.path.islink(filename) else f"unreadable ({error.strerror})"
        _describe_file(resources, filename)
        if why:
            if handle is not None:
                handle.close()
            self.log.error("Notebook %s not read: it is %s", name, why)
            return self._flagged_empty(resources, "tampered", f"{name} is {why}: not read, graded as an empty notebook",
                                       **kw)
        with handle:
            data = handle.read(self.max_bytes + 1)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            return self._flagged_empty(resources, "corrupt notebook", f"not UTF-8 text ({error.reason})", **kw)
        return self._from_text(text, resources, **kw)

    def _in_autograded(self, filename, resources):
        """True for autograde's second pass, which reads the notebook the first pass wrote into
        autograded/. (Not NBGRADER_EXECUTION: nbgrader leaves it set in the process when a
        submission raises, which would switch these checks off for every later one.)"""
        coursedir, info = getattr(self.parent, "coursedir", None), resources.get("nbgrader", {})
        if coursedir is None or not info.get("student") or not info.get("assignment"):
            return False
        autograded = coursedir.format_path(coursedir.autograded_directory, info["student"], info["assignment"])
        return os.path.realpath(os.path.dirname(filename)) == os.path.realpath(autograded)

    def _remove_copies(self, refused, resources):
        """A backstop for plain nbgrader: if links.quarantine_links could not move an entry aside
        (nbgrader only logs a failing hook), its copy in autograded/ is deleted before any code runs."""
        coursedir, info = getattr(self.parent, "coursedir", None), resources.get("nbgrader", {})
        if coursedir is None or not info.get("student") or not info.get("assignment"):
            return
        dest = os.path.realpath(coursedir.format_path(coursedir.autograded_directory, info["student"],
                                                      info["assignment"]))
        for relative in refused:
            copy = os.path.realpath(os.path.join(dest, relative))
            if copy.startswith(dest + os.sep) and os.path.lexists(copy) and not os.path.isdir(copy):
                os.unlink(copy)
                self.log.warning("Removed %s from the autograded folder: in the submission it is %s",
                                 relative, refused[relative])

    def from_file(self, file_stream, resources=None, **kw):
        try:
            text = file_stream.read(self.max_bytes + 1)
        except UnicodeDecodeError as error:
            return self._flagged_empty(resources, "corrupt notebook", f"not UTF-8 text ({error.reason})", **kw)
        return self._from_text(text, resources, **kw)

    def _from_text(self, text, resources, **kw):
        nb, state, reason = read_submission(text, self._caps())
        if nb is not None:
            return self.from_notebook_node(nb, resources=resources, **kw)
        self.log.error("Notebook %s not graded (%s): %s", (resources or {}).get("metadata", {}).get("name"),
                       state, reason)
        return self._flagged_empty(resources, state, reason, **kw)

    def _flagged_empty(self, resources, state, reason, **kw):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        resources = resources if resources is not None else {}
        resources.setdefault("convgrade", {})["unread"] = (state, reason)  # sanitize.StripIntake records it
        return self.from_notebook_node(nb, resources=resources, **kw)


def _describe_file(resources, filename):
    """What nbconvert's from_filename puts in resources (name, folder, date), from lstat only."""
    import datetime
    metadata = resources.setdefault("metadata", {})
    folder, basename = os.path.split(filename)
    metadata["name"], metadata["path"] = os.path.splitext(basename)[0], folder
    try:
        when = datetime.datetime.fromtimestamp(os.lstat(filename).st_mtime, tz=datetime.timezone.utc)
        metadata["modified_date"] = when.strftime("%B %-d, %Y")
    except OSError:
        pass

