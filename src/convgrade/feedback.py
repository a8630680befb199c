"""generate_feedback for students: why each test failed, in words, on a page that works offline.

HideHiddenTests  removes each test cell's hidden region with nbgrader's own ClearHiddenTests (the
                 docstring that says what the test checks stays), keeps each error to its message
                 (the grader wrote it: verify.py), and names each test in the page's index by its
                 docstring instead of "Test cell".
MathToMathML     renders the markdown's $...$ and $$...$$ as MathML, which browsers draw natively,
                 so the page needs no MathJax from a public CDN (the template loads no script).
only_html        a post-convert hook: nothing but the feedback pages stays in feedback/.
TEMPLATES        the folder of the page templates: feedback (nbgrader's, naming each test by its
                 docstring, no CDN, no script) and formgrade_csp (formgrader's view with a CSP).
FeedbackExporter GenerateFeedback.exporter_class: an HTMLExporter with a configuration section of
                 its own, so the feedback template set there does not reach formgrader's
                 HTMLExporter (which would then fail on every submission).
FORMGRADER_TEMPLATES  nbgrader's own formgrader templates folder (formgrade_csp extends its page).
"""
import ast
import fnmatch
import html
import os
import re
import textwrap

import nbgrader
from nbconvert.exporters import HTMLExporter
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Integer

HIDDEN_NOTE = "# (the hidden part of this test is not shown)"
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
FORMGRADER_TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(nbgrader.__file__)),
                                    "server_extensions", "formgrader", "templates")


class FeedbackExporter(HTMLExporter):
    """The feedback page's exporter: configured as c.FeedbackExporter (it reads c.HTMLExporter too,
    whose settings for formgrader its own section overrides)."""


def description(source):
    """A test cell's docstring as one line ('' if it has none)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    text = ast.get_docstring(tree) or ""
    return " ".join(text.split())


class HideHiddenTests(ClearHiddenTests):
    """ClearHiddenTests for feedback: hide hidden regions, errors as one message, tests named."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not utils.is_grade(cell) or cell.cell_type != "code":
            return cell, resources
        about = description(cell.source)
        if about:
            cell.metadata.setdefault("convgrade", {})["description"] = about
        if self._remove_hidden_test_region(cell):
            cell.source = cell.source.rstrip() + "\n" + HIDDEN_NOTE
        for output in cell.outputs:
            if output.output_type == "error":
                message = f"{output.ename}: {output.evalue}"
                output.traceback = ["\n".join(textwrap.fill(line, 100) for line in message.splitlines())]
        return cell, resources


_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")


class MathToMathML(NbGraderPreprocessor):
    """TeX in markdown cells as MathML (latex2mathml); what it cannot convert stays as escaped TeX text.

    The conversion costs about 10 microseconds and six characters of MathML per character of TeX,
    so it is bounded: a formula longer than max_formula_chars, and every formula once the notebook
    has had max_notebook_chars of TeX converted, stays TeX text (the notebook's Markdown is capped
    at intake: exporter.TolerantNotebookExporter.max_markdown_chars).
    """

    max_formula_chars = Integer(2_000, help="longest formula converted to MathML").tag(config=True)
    max_notebook_chars = Integer(50_000, help="characters of TeX converted per notebook").tag(config=True)

    def preprocess(self, nb, resources):
        self._converted = 0
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "markdown" and "$" in cell.source:
            cell.source = _INLINE.sub(lambda m: self._mathml(m.group(1), "inline"),
                                      _DISPLAY.sub(lambda m: self._mathml(m.group(1), "block"), cell.source))
        return cell, resources

    def _mathml(self, tex, display):
        self._converted = getattr(self, "_converted", 0) + len(tex)
        if len(tex) > self.max_formula_chars or self._converted > self.max_notebook_chars:
            return _as_text(tex)
        return _mathml(tex, display)


def _as_text(tex):
    return f"<code>{html.escape(tex)}</code>"


def _mathml(tex, display):
    from latex2mathml.converter import convert
    try:
        return convert(tex.strip(), display=display)
    except Exception:  # latex2mathml raises its own zoo of errors on TeX it does not know
        return _as_text(tex)


class only_html:
    """GenerateFeedback.post_convert_hook: remove every file but the pages from feedback/<student>/<assignment>/."""

    def __init__(self, root=".", feedback="feedback"):
        self.folder = os.path.join(root, feedback)

    def __call__(self, assignment, student, notebooks, **kwargs):
        if not os.path.isdir(self.folder):
            return
        for who in os.listdir(self.folder):
            if not fnmatch.fnmatch(who, student or "*"):
                continue
            for what in os.listdir(os.path.join(self.folder, who)):
                if fnmatch.fnmatch(what, assignment or "*"):
                    strip_to_html(os.path.join(self.folder, who, what))


def strip_to_html(folder):
    """Delete what is not an .html page under folder (never following links)."""
    for path, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            if not name.endswith(".html") or os.path.islink(os.path.join(path, name)):
                os.unlink(os.path.join(path, name))
        for name in dirs:
            full = os.path.join(path, name)
            try:
                os.unlink(full) if os.path.islink(full) else os.rmdir(full)
            except OSError:
                pass
