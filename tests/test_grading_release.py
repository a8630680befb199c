"""Every assignment's source, release and demo class stay in step, with nothing secret released.

- exercises/<assignment>/ is what `nbgrader generate_assignment` makes of source/<assignment>/, and
  holds no solution, hidden-test or checks text;
- `nbgrader validate` passes the source and, with --invert, fails every test of the release;
- the source notebooks are plain nbgrader notebooks (metadata as the Create Assignment panel
  writes it, no outputs), and each test cell says what it checks in a docstring;
- tests/demo_class/submitted is what tests/demo_class/make_demo_class.py writes.
"""
import filecmp
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from demo_class import make_demo_class

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def nbgrader(*args, cwd):
    import os
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def notebooks(kind, assignment):
    return sorted((ROOT / kind / assignment).glob("*.ipynb"))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """A course with the committed source and config, released afresh by nbgrader."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "source", course / "source", symlinks=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for assignment in ASSIGNMENTS:
        result = nbgrader("generate_assignment", assignment, cwd=course)
        assert result.returncode == 0, result.stdout + result.stderr
    return course


def test_there_are_two_assignments_each_with_its_checks_and_helpers():
    assert ASSIGNMENTS == ["conv-basics", "conv-layers"]
    for assignment in ASSIGNMENTS:
        assert (ROOT / "source" / assignment / "checks.py").is_file()
        assert (ROOT / "source" / assignment / "gradehelp.py").resolve() == ROOT / "source" / "gradehelp.py"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_what_generate_assignment_makes(regenerated, assignment):
    fresh = sorted(p.relative_to(regenerated / "exercises") for p in (regenerated / "exercises" / assignment).rglob("*")
                   if p.is_file())
    committed = sorted(p.relative_to(ROOT / "exercises") for p in (ROOT / "exercises" / assignment).rglob("*")
                       if p.is_file())
    assert fresh == committed, "run: nbgrader generate_assignment <assignment> --force"
    for relative in fresh:
        assert (regenerated / "exercises" / relative).read_bytes() == (ROOT / "exercises" / relative).read_bytes(), \
            f"{relative} drifted from the source: run nbgrader generate_assignment --force (see book/instructors.md)"
    assert not any(p.name == "checks.py" for p in (ROOT / "exercises").rglob("*"))


def marked_lines(path, begin, end):
    lines = []
    for cell in nbformat.read(path, as_version=4).cells:
        inside = False
        for line in cell.source.splitlines():
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_no_hidden_test_and_no_check(assignment):
    checks = (ROOT / "source" / assignment / "checks.py").read_text()
    check_names = re.findall(r"^def (check_\w+)", checks, re.M)
    for source, release in zip(notebooks("source", assignment), notebooks("exercises", assignment)):
        text = "\n".join(c.source for c in nbformat.read(release, as_version=4).cells)
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "from checks", *check_names):
            assert marker not in text, marker
        solution = marked_lines(source, "### BEGIN SOLUTION", "### END SOLUTION")
        hidden = marked_lines(source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
        assert solution and hidden
        released = {line.strip() for line in text.splitlines()}
        assert [line for line in solution + hidden if line in released] == []
        answers = [c for c in nbformat.read(source, as_version=4).cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert text.count("raise NotImplementedError()") >= sum("def " in c.source for c in answers)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_passes_the_source_and_fails_every_test_of_the_release(regenerated, assignment):
    for source, release in zip(notebooks("source", assignment), notebooks("exercises", assignment)):
        relative = source.relative_to(ROOT)
        passed = nbgrader("validate", str(relative), cwd=regenerated)
        assert "Success! Your notebook passes all the tests." in passed.stdout, passed.stdout + passed.stderr
        failed = nbgrader("validate", "--invert", str(release.relative_to(ROOT)), cwd=regenerated)
        assert "Success! The notebook does not pass any tests." in failed.stdout, failed.stdout + failed.stderr


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_are_as_the_create_assignment_panel_leaves_them(assignment):
    for path in notebooks("source", assignment):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
        assert len(ids) == len(set(ids)), "grade ids are unique"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, "no outputs in the source"
            meta = cell.metadata.get("nbgrader")
            if meta and meta.get("grade") and not meta.get("solution"):
                assert meta["locked"] and meta["points"] > 0
                assert cell.source.startswith('"""'), f"{meta['grade_id']} says what it checks in a docstring"
            if meta and meta.get("solution") and cell.source.lstrip().startswith("def "):
                assert re.search(r'def \w+\(.*\):\n    """', cell.source), "signature and docstring outside the solution"


def test_demo_class_is_what_make_demo_class_writes(tmp_path):
    make_demo_class.write_class(tmp_path / "submitted")
    committed = make_demo_class.SUBMITTED
    fresh = [p.relative_to(tmp_path / "submitted") for p in sorted((tmp_path / "submitted").rglob("*")) if p.is_file()]
    assert fresh == [p.relative_to(committed) for p in sorted(committed.rglob("*")) if p.is_file()]
    mismatch, errors = filecmp.cmpfiles(committed, tmp_path / "submitted", [str(p) for p in fresh], shallow=False)[1:]
    assert mismatch == [] and errors == [], "run: cd tests && ../.venv/bin/python -m demo_class.make_demo_class"


def test_demo_expectations_come_from_the_notebooks():
    for assignment in make_demo_class.available():
        table = make_demo_class.expected(assignment)
        assert table["full_marks"][0] == make_demo_class.max_score(assignment) > 0
        assert table["untouched_stub"][0] == 0


def test_instructors_page_explains_every_status_and_keeps_its_header():
    from convgrade.status import STATUSES
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    assert page.startswith("---\njupytext:\n") and "format_name: myst" in page and "kernelspec:" in page
    assert [s for s in STATUSES if f"| `{s}` |" not in page] == []
    for words in ("make grade", "--student", "nbgrader autograde conv-basics", "nbgrader zip_collect",
                  "nbgrader export", "--scheduler", "dask-jobqueue", "dask-kubernetes", "db_url", "formgrader"):
        assert words in page, words
