"""'Write a new assignment', followed literally: every command of the page, run in a copy of the course.

The notebook is built cell by cell from the page's captions the way nbgrader's Create Assignment
panel records each cell type; checks.py is the page's listing; the shell commands are the page's,
in order, including `make grade`. At the end the tryout student has full marks, status ok.
"""
import os
import re
import shutil
import subprocess

import nbformat
from grading_support import ENV, ROOT, SECRET, read_csv, require_sandbox

PAGE = ROOT / "book" / "new_assignment.md"
BLOCK = re.compile(r"```(?:\{code-block\} )?(\w+)\n(?::caption: \"?([^\n\"]*)\"?\n)?(.*?)\n```", re.S)
CAPTION = re.compile(r"Cell (\d+) · (code|markdown) · (Read-only|Autograded answer|Autograder tests) · ID (\w+)"
                     r"(?: · (\d+) points?)?")
# What the Create Assignment panel stores for each cell type (nbgrader's metadata, schema 3).
ROLES = {"Read-only": dict(grade=False, solution=False, locked=True),
         "Autograded answer": dict(grade=False, solution=True, locked=False),
         "Autograder tests": dict(grade=True, solution=False, locked=True)}


def steps():
    """The page in order: ('bash', commands), ('cell', cell), ('file', name, text)."""
    found = []
    for language, caption, body in BLOCK.findall(PAGE.read_text()):
        cell = CAPTION.match(caption or "")
        if language == "bash":
            found.append(("bash", body))
        elif cell:
            number, kind, role, grade_id, points = cell.groups()
            meta = {**ROLES[role], "grade_id": grade_id, "schema_version": 3, "task": False}
            if meta["grade"]:
                meta["points"] = int(points)
            make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
            new = make(body, metadata={"nbgrader": meta})
            new["id"] = grade_id.replace("_", "-")
            found.append(("cell", int(number), new))
        elif caption.startswith("source/"):
            found.append(("file", caption, body + "\n"))
    return found


def test_the_page_gives_an_assignment_that_grades_to_full_marks(tmp_path):
    require_sandbox()
    course = tmp_path / "course"
    course.mkdir()
    installed = (ROOT / ".venv" / ".installed").stat().st_mtime
    for name in ("Makefile", "requirements.txt", "pyproject.toml", "nbgrader_config.py"):
        shutil.copy(ROOT / name, course)
        os.utime(course / name, (installed - 10, installed - 10))  # set up already: make installs nothing
    for name in ("source", "exercises", "tools"):
        shutil.copytree(ROOT / name, course / name, symlinks=True)
    os.symlink(ROOT / ".venv", course / ".venv")
    (course / ".convgrade_secret").write_text(SECRET + "\n")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    env = {**ENV, "VIRTUAL_ENV": str(ROOT / ".venv")}
    outputs = []
    for step in steps():
        if step[0] == "cell":
            assert step[1] == len(nb.cells) + 1, "cells are numbered in order on the page"
            nb.cells.append(step[2])
            nbformat.write(nb, course / "source" / "flip" / "flip.ipynb")
        elif step[0] == "file":
            (course / step[1]).write_text(step[2])
        else:
            run = subprocess.run(["bash", "-e", "-c", step[1]], cwd=course, env=env, capture_output=True,
                                 text=True, timeout=900)
            assert run.returncode == 0, f"{step[1]}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
            outputs.append(run.stdout + run.stderr)
    text = "\n".join(outputs)
    assert "Your notebook passes all the tests" in text and "The notebook does not pass any tests" in text
    assert "re-checked by the grader" in text and "BAD" not in text
    row = read_csv(course / "grades.csv")["tryout", "flip"]
    assert (float(row["score"]), float(row["max_score"]), row["status"]) == (4.0, 4.0, "ok")
    assert (course / "feedback" / "tryout" / "flip" / "flip.html").is_file()
    assert not (course / "exercises" / "flip" / "checks.py").exists(), "checks.py is never released"
