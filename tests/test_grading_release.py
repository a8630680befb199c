"""The practice's source, release and demo class stay in sync with the scripts that make them.

- source/conv-basics/practice.ipynb is what tools/make_practice.py writes;
- exercises/conv-basics/practice.ipynb is what `nbgrader generate_assignment` makes of it, and
  holds no solution or hidden-test text;
- `nbgrader validate` passes the source and, with --invert, fails every test of the release;
- tests/demo_class/submitted is what tests/demo_class/make_demo_class.py writes.
"""
import filecmp
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from demo_class import make_demo_class

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source" / "conv-basics" / "practice.ipynb"
RELEASE = ROOT / "exercises" / "conv-basics" / "practice.ipynb"
BIN = pathlib.Path(sys.executable).parent


def nbgrader(*args, cwd):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """A course with the committed source and config, released afresh by nbgrader."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    result = nbgrader("generate_assignment", "conv-basics", cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    return course


def test_source_notebook_is_what_make_practice_writes():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_practice
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert SOURCE.read_text(encoding="utf-8") == make_practice.render(), \
        "run: .venv/bin/python tools/make_practice.py"


def test_committed_release_is_what_generate_assignment_makes(regenerated):
    fresh = regenerated / "exercises" / "conv-basics" / "practice.ipynb"
    assert fresh.read_text(encoding="utf-8") == RELEASE.read_text(encoding="utf-8"), (
        "the release drifted from the source: run nbgrader generate_assignment conv-basics --force "
        "(see book/instructors.md)")


def marked_lines(begin, end):
    """The non-trivial lines between nbgrader's markers in the source notebook."""
    lines = []
    for cell in nbformat.read(SOURCE, as_version=4).cells:
        inside = False
        for line in cell.source.splitlines():
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                lines.append(line.strip())
    return lines


def test_release_holds_no_solution_and_no_hidden_test():
    text = "\n".join(c.source for c in nbformat.read(RELEASE, as_version=4).cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "run_in_kernel", "convgrade.checks"):
        assert marker not in text
    solution = marked_lines("### BEGIN SOLUTION", "### END SOLUTION")
    hidden = marked_lines("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
    assert len(solution) > 20 and len(hidden) == 2 * 18
    released_lines = {line.strip() for line in text.splitlines()}
    leaked = [line for line in solution + hidden if line in released_lines]
    assert leaked == []
    assert text.count("raise NotImplementedError()") == 11  # one stub per answer cell


def test_validate_passes_the_source_and_fails_every_test_of_the_release(regenerated):
    source = nbgrader("validate", "source/conv-basics/practice.ipynb", cwd=regenerated)
    assert "Success! Your notebook passes all the tests." in source.stdout, source.stdout + source.stderr
    release = nbgrader("validate", "--invert", "exercises/conv-basics/practice.ipynb", cwd=regenerated)
    assert "Success! The notebook does not pass any tests." in release.stdout, release.stdout + release.stderr


def test_demo_class_is_what_make_demo_class_writes(tmp_path):
    make_demo_class.write_class(tmp_path / "submitted")
    committed = pathlib.Path(make_demo_class.HERE) / "submitted"
    fresh = [p.relative_to(tmp_path / "submitted") for p in sorted((tmp_path / "submitted").rglob("*")) if p.is_file()]
    assert fresh == [p.relative_to(committed) for p in sorted(committed.rglob("*")) if p.is_file()]
    mismatch, errors = filecmp.cmpfiles(committed, tmp_path / "submitted", [str(p) for p in fresh], shallow=False)[1:]
    assert mismatch == [] and errors == [], "run: .venv/bin/python tests/demo_class/make_demo_class.py"
    expected = json.loads((pathlib.Path(make_demo_class.HERE) / "expected.json").read_text())
    assert {s: (e["score"], e["status"]) for s, e in expected.items()} == make_demo_class.EXPECTED


def test_answer_cells_keep_signature_and_docstring_outside_the_solution():
    for cell in nbformat.read(RELEASE, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.source.startswith("def "):
            assert re.search(r'def \w+\(.*\):\n    """', cell.source), cell.source


def test_instructors_page_explains_every_status_and_keeps_its_header():
    from convgrade.status import STATUSES
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    assert page.startswith("---\njupytext:\n") and "format_name: myst" in page and "kernelspec:" in page
    assert [s for s in STATUSES if f"| `{s}` |" not in page] == []
    assert "make grade" in page and "--student" in page and "nbgrader autograde conv-basics" in page
