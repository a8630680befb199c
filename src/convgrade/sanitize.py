"""nbgrader preprocessors for the sanitizing step of autograde (before any code runs).

StripIntake       a submission brings no grading record of its own: metadata.convgrade (where the
                  grader's statuses live) is removed from the notebook and from every cell.
ScreenGradeIds    a cell whose grade_id nbgrader would never write (outside its alphabet: letters,
                  digits, - and _), or that claims to be a graded cell of the assignment under an id
                  the release does not have, loses its nbgrader metadata before any later step
                  (or log line) sees that id; the notebook is flagged "tampered".
DropDuplicateIds  replaces nbgrader's DeduplicateIds: a copied cell keeps its code but loses its
                  nbgrader metadata entirely (nbgrader 0.9 leaves an empty dict that fails schema
                  validation and aborts autograde for every later student).
RecordTampering   compares the test and read-only cells with what was released and flags changes.
RestoreCells      nbgrader's OverwriteCells, plus: canonical metadata for every known cell (a test
                  cell relabelled as an answer is still a test), unknown graded cells demoted, and
                  every missing test or read-only cell put back in source order. Test cells get
                  their released text: the hidden tests never enter the student's kernel (the
                  grader runs them itself, verify.VerifyOutsideKernel, and puts them back after).
"""
import os
import re

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells

from . import links, status

RESTORED_NOTE = "restored by the grader: this cell was missing from the submission"


def course_directory(preprocessor):
    """The CourseDirectory of the nbgrader app running this preprocessor (or one from its config)."""
    return getattr(getattr(preprocessor.parent, "parent", None), "coursedir", None) \
        or CourseDirectory(config=preprocessor.config)


class StripIntake(NbGraderPreprocessor):
    """Remove every grading record a submission carries in (statuses are the grader's to write)."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("convgrade", None)
        for cell in nb.cells:
            cell.metadata.pop("convgrade", None)
        intake = resources.get("convgrade", {})
        if intake.get("unread"):  # the exporter graded an empty notebook instead (exporter.TolerantNotebookExporter)
            status.record(nb, *intake["unread"])
        if intake.get("refused"):  # links and special files in the submission folder (links.py)
            status.record(nb, "tampered", "not read: links or special files in the submission folder: "
                                          + links.describe(intake["refused"]))
        return nb, resources


# The ids nbgrader's own assignment editor accepts ("letters, numbers, hyphens, and/or underscores").
GRADE_ID = re.compile(r"[A-Za-z0-9_-]+")
SHOWN_ID = 60  # characters of an id quoted in a detail


def shown_ids(names):
    """Ids for a one-line detail, each cut to SHOWN_ID characters, at most 12 (a submission chooses
    them; whatever shows a detail escapes it, convgrade.printable)."""
    shown = [n if len(n) <= SHOWN_ID else n[:SHOWN_ID] + "..." for n in names[:12]]
    return ", ".join(shown) + (f" and {len(names) - 12} more" if len(names) > 12 else "")


class DropDuplicateIds(NbGraderPreprocessor):
    """Keep the last cell of each grade_id (nbgrader's choice); earlier copies become plain cells.
    Repeated cell ids (a copy made outside JupyterLab) get a suffix, so the notebook stays valid."""

    def preprocess(self, nb, resources):
        cell_ids = set()
        for number, cell in enumerate(nb.cells):
            if "id" in cell and cell["id"] in cell_ids:
                cell["id"] = f"{cell['id'][:50]}-copy{number}"
            cell_ids.add(cell.get("id"))
        seen = set()
        for cell in reversed(nb.cells):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id is None:
                continue
            if grade_id in seen:
                self.log.warning("Cell with id '%s' exists multiple times: the earlier copy is ungraded", grade_id)
                del cell.metadata["nbgrader"]
            else:
                seen.add(grade_id)
        return nb, resources


class _SourceAware:
    """Mixin: the assignment's cells as nbgrader stored them, and their order in the source notebook."""

    def _load_source(self, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
            grade = {c.name: float(c.max_score) for c in notebook.grade_cells}
            solution = {c.name for c in notebook.solution_cells}
            cells = {c.name: {"source": c.source, "cell_type": c.cell_type, "locked": c.locked,
                              "checksum": c.checksum, "grade": c.name in grade,
                              "solution": c.name in solution, "points": grade.get(c.name)}
                     for c in notebook.source_cells}
        return cells, self._source_order(info, cells)

    def _source_order(self, info, cells):
        coursedir = course_directory(self)
        path = os.path.join(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]),
                            info["notebook"] + ".ipynb")
        try:
            source = nbformat.read(path, as_version=4)
            order = [c.metadata["nbgrader"]["grade_id"] for c in source.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") in cells]
        except (OSError, ValueError, KeyError):
            order = []
        return order + [name for name in cells if name not in order]


def hidden_markers(config=None):
    """(begin, end): the hidden-test markers the course configured (c.ClearHiddenTests.*)."""
    markers = ClearHiddenTests(enforce_metadata=False, config=config)
    return markers.begin_test_delimeter, markers.end_test_delimeter


def released_source(stored_source, config=None):
    """A test cell's text as students received it (nbgrader's own hidden-test removal)."""
    cell = nbformat.v4.new_code_cell(stored_source)
    ClearHiddenTests(enforce_metadata=False, config=config)._remove_hidden_test_region(cell)
    return cell.source


def must_be_present(cell):
    """Test cells and read-only cells have to be in every graded notebook."""
    return cell["grade"] or (cell["locked"] and not cell["solution"])


class ScreenGradeIds(_SourceAware, NbGraderPreprocessor):
    """Make ordinary cells of cells whose nbgrader metadata the release cannot have written: an id
    outside nbgrader's alphabet (control characters, bidi overrides, quotes, spaces, ...), metadata
    that is not a mapping, or a graded cell under an id the assignment does not have. Flagged
    "tampered" with the ids in the detail (escaped wherever a detail is shown: convgrade.printable);
    later steps, their log lines and the gradebook never see them."""

    def preprocess(self, nb, resources):
        if any(f["status"] == "corrupt notebook" for f in status.flags_of(nb)):
            return nb, resources
        cells, _ = self._load_source(resources)
        malformed, invented = [], []
        for cell in nb.cells:
            if "nbgrader" not in cell.metadata:
                continue
            meta = cell.metadata["nbgrader"]
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if not isinstance(meta, dict) or (grade_id is not None and not _allowed_id(grade_id)):
                malformed.append(repr(grade_id) if not isinstance(grade_id, str) else grade_id)
                del cell.metadata["nbgrader"]
            elif grade_id is not None and grade_id not in cells and meta.get("grade"):
                invented.append(grade_id)
                del cell.metadata["nbgrader"]
        if malformed:
            status.record(nb, "tampered", "cells with grade ids nbgrader never writes (made ordinary cells): "
                                          + shown_ids(malformed))
        if invented:
            status.record(nb, "tampered", "cells added as graded cells (made ordinary cells): " + shown_ids(invented))
        return nb, resources


def _allowed_id(grade_id):
    return isinstance(grade_id, str) and GRADE_ID.fullmatch(grade_id) is not None


class RecordTampering(_SourceAware, NbGraderPreprocessor):
    """Flag test and read-only cells that were edited, relabelled or removed (RestoreCells fixes them)."""

    def preprocess(self, nb, resources):
        if resources.get("convgrade", {}).get("unread"):
            return nb, resources  # nothing was read to tamper with
        cells, order = self._load_source(resources)
        present = {}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id is not None:
                present[grade_id] = cell
        required = [name for name in order if must_be_present(cells[name])]
        missing = [name for name in required if name not in present]
        edited = [name for name in required if name in present and self._changed(present[name], cells[name])]
        for names, what in [(edited, "edited (restored)"), (missing, "deleted or stripped of metadata (restored)")]:
            if names:
                status.record(nb, "tampered", f"cells {what}: {', '.join(names)}")
        return nb, resources

    @staticmethod
    def _changed(cell, stored):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != stored["cell_type"]:
            return True
        if bool(meta.get("grade")) != stored["grade"] or bool(meta.get("solution")) != stored["solution"]:
            return True
        if stored["grade"] and str(meta.get("points")) not in (str(stored["points"]), str(int(stored["points"]))):
            return True
        if stored["cell_type"] != "code":
            return cell.source.strip() != stored["source"].strip()
        # as released, or whole as in the source (the instructor's own notebook handed in as a tryout)
        return cell.source.strip() not in (released_source(stored["source"]).strip(), stored["source"].strip())


class RestoreCells(_SourceAware, OverwriteCells):
    """OverwriteCells that trusts no submitted metadata and puts back every missing test or read-only cell."""

    def preprocess(self, nb, resources):
        self._cells, self._order = self._load_source(resources)
        for cell in nb.cells:
            self._canonical_metadata(cell)
        nb, resources = super().preprocess(nb, resources)  # restores the text of locked cells
        self._put_back_missing(nb)
        for cell in nb.cells:  # the kernel runs what students saw; the hidden part stays with the grader
            if utils.is_grade(cell) and not utils.is_solution(cell) and cell.cell_type == "code":
                cell.source = released_source(cell.source, self.config)
        return nb, resources

    def _canonical_metadata(self, cell):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            return
        stored = self._cells.get(meta.get("grade_id"))
        if stored is None:  # not part of the assignment: an ordinary cell
            del cell.metadata["nbgrader"]
            return
        if cell.cell_type != stored["cell_type"]:
            self.update_cell_type(cell, stored["cell_type"])
        cell.metadata["nbgrader"] = self._metadata(meta["grade_id"], stored)
        if stored["locked"] or stored["grade"]:
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False

    @staticmethod
    def _metadata(name, stored):
        meta = {"grade": stored["grade"], "grade_id": name, "locked": stored["locked"],
                "schema_version": 3, "solution": stored["solution"], "task": False,
                "checksum": stored["checksum"]}
        if stored["grade"]:
            meta["points"] = stored["points"]
        return meta

    def _put_back_missing(self, nb):
        for position, name in enumerate(self._order):
            stored = self._cells[name]
            if not must_be_present(stored) or self._index_of(nb, name) is not None:
                continue
            cell = self._rebuild(name, stored)
            earlier = [self._index_of(nb, n) for n in self._order[:position]]
            earlier = [i for i in earlier if i is not None]
            if earlier:
                nb.cells.insert(max(earlier) + 1, cell)
            else:
                later = [self._index_of(nb, n) for n in self._order[position + 1:]]
                later = [i for i in later if i is not None]
                nb.cells.insert(min(later) if later else len(nb.cells), cell)
            self.log.warning("Cell '%s' was missing: restored", name)

    @staticmethod
    def _index_of(nb, name):
        for index, cell in enumerate(nb.cells):
            if cell.metadata.get("nbgrader", {}).get("grade_id") == name:
                return index
        return None

    def _rebuild(self, name, stored):
        metadata = {"nbgrader": self._metadata(name, stored), "editable": False, "deletable": False}
        if stored["cell_type"] == "code":
            return nbformat.v4.new_code_cell(f"# {RESTORED_NOTE}\n{stored['source']}", metadata=metadata)
        return nbformat.v4.new_markdown_cell(stored["source"], metadata=metadata)
