"""Write the demo class: the same students handing in every assignment, each in their own way.

Each assignment has a module beside this one (conv_basics.py, conv_layers.py) with KINDS
(student -> a function returning that student's notebook) and EXPECTED (student -> which tests
pass, and the status). Scores are never typed in: `score` adds up the points of the passing
tests as the source notebook gives them, so adding a problem changes no expectation here.

    .venv/bin/python -m demo_class.make_demo_class      (from tests/: rewrites tests/demo_class/submitted)
"""
import copy
import functools
import importlib
import pathlib
import re
import shutil
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
SUBMITTED = HERE / "submitted"
ASSIGNMENTS = {"conv-basics": "conv_basics", "conv-layers": "conv_layers"}


class Passing:
    """Which test cells of an assignment a submission passes: all but some, or only some."""

    def __init__(self, listed=(), everything_but=True):
        self.listed, self.everything_but = tuple(listed), everything_but

    def passed(self, points):
        unknown = set(self.listed) - set(points)
        assert not unknown, f"not test cells of this assignment: {sorted(unknown)}"
        return [t for t in points if (t not in self.listed) == self.everything_but]


ALL = Passing()


def fails(*tests):
    return Passing(tests, everything_but=True)


def only(*tests):
    return Passing(tests, everything_but=False)


def module(assignment):
    return importlib.import_module(f"demo_class.{ASSIGNMENTS[assignment]}")


def available():
    """The assignments that have a source notebook and a demo module."""
    found = []
    for assignment, name in ASSIGNMENTS.items():
        if (ROOT / "source" / assignment).is_dir() and (HERE / f"{name}.py").is_file():
            found.append(assignment)
    return found


@functools.lru_cache(maxsize=None)
def _read(path):
    return nbformat.read(path, as_version=4)


def source(assignment):
    return _read(ROOT / "source" / assignment / f"{module(assignment).NOTEBOOK}.ipynb")


def points(assignment):
    """grade_id -> points of every test cell, in notebook order."""
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"]) for c in source(assignment).cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}


def max_score(assignment):
    return sum(points(assignment).values())


def score(assignment, passing):
    table = points(assignment)
    return sum(table[t] for t in passing.passed(table))


def expected(assignment):
    """student -> (score, status) for one assignment."""
    return {s: (score(assignment, passing), state) for s, (passing, state) in module(assignment).EXPECTED.items()}


def solutions(assignment):
    """grade_id -> the source notebook's answer with the solution markers removed."""
    return {c.metadata["nbgrader"]["grade_id"]: re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n?", "", c.source).rstrip() + "\n"
            for c in source(assignment).cells if c.metadata.get("nbgrader", {}).get("solution")}


def released(assignment):
    """A fresh copy of the released notebook (what a student downloads)."""
    return copy.deepcopy(_read(ROOT / "exercises" / assignment / f"{module(assignment).NOTEBOOK}.ipynb"))


def cell_index(nb, grade_id):
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return index
    raise KeyError(grade_id)


def solved(assignment, **replacements):
    """The released notebook with every answer filled in from the solutions, some replaced."""
    nb = released(assignment)
    for grade_id, text in {**solutions(assignment), **replacements}.items():
        nb.cells[cell_index(nb, grade_id)].source = text
    return nb


def common_kinds(assignment, partial, wrong):
    """The kinds every assignment's demo class has: full marks, partial, wrong and untouched."""
    return {"full_marks": lambda: solved(assignment), "partial": lambda: solved(assignment, **partial),
            "wrong": lambda: solved(assignment, **wrong), "untouched_stub": lambda: released(assignment)}


def new_cell(text, cell_id):
    """A cell the student added (a fixed id keeps the generated files identical run to run)."""
    cell = nbformat.v4.new_code_cell(text)
    cell["id"] = cell_id
    return cell


def write_submission(folder, assignment, kind):
    """Write one student's submission of one assignment into folder/<assignment>/."""
    demo = module(assignment)
    target = pathlib.Path(folder) / assignment
    target.mkdir(parents=True, exist_ok=True)
    notebook = f"{demo.NOTEBOOK}.ipynb"
    if kind == "missing_notebook":  # handed in an HTML export instead of the notebook
        (target / f"{demo.NOTEBOOK}.html").write_text("<html><body>my work</body></html>\n")
    elif kind == "corrupt_json":  # an upload cut off half way
        text = nbformat.writes(solved(assignment))
        (target / notebook).write_text(text[:len(text) // 2])
    else:
        nbformat.write(demo.KINDS[kind](), target / notebook)


def write_class(submitted=SUBMITTED, assignments=None):
    """A submitted/ tree: a folder per student (its name says what it holds), one per assignment."""
    submitted = pathlib.Path(submitted)
    if submitted.exists():
        shutil.rmtree(submitted)
    for assignment in assignments or available():
        for student in module(assignment).EXPECTED:
            write_submission(submitted / student, assignment, student)


if __name__ == "__main__":
    write_class()
    print(f"wrote the demo class to {SUBMITTED}", file=sys.stderr)
