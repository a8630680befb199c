"""The instructor's path, end to end, on a copy of the course with the demo class handed in.

Two graders run at once on two copies: the `make grade` driver (tools/grade.py: parallel
autograde, feedback, grades.csv) and plain `nbgrader autograde conv-basics` with the course's
nbgrader_config.py. Both must give every student exactly the expected score, the statuses must
say what happened, nobody may be missing, and no feedback page may show a hidden test's code.
make grade's copy also holds a submission that kills its grader, which only make grade survives.
"""
import csv
import html
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from demo_class.make_demo_class import DRIVER_ONLY, EXPECTED, HERE, MAX_SCORE, write_submission

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def hidden_lines():
    """Every line of code inside the source notebook's hidden test regions."""
    lines = []
    for cell in nbformat.read(ROOT / "source" / "conv-basics" / "practice.ipynb", as_version=4).cells:
        if "### BEGIN HIDDEN TESTS" in cell.source:
            region = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            lines += [line.strip() for line in region.splitlines() if line.strip()]
    return lines


def visible_text(page):
    """What a reader of an HTML page sees (highlighted code is split into many tags)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def words(text):
    return " ".join(text.split())


def course_copy(folder):
    """What an instructor has after collecting: the repository's course files plus submitted/."""
    folder.mkdir()
    for name in ("source", "exercises"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(HERE / "submitted", folder / "submitted")
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    driver_course, plain_course = course_copy(base / "driver"), course_copy(base / "plain")
    for student in DRIVER_ONLY:
        write_submission(driver_course / "submitted" / student, student)
    plain = subprocess.Popen(
        f"{BIN}/nbgrader generate_assignment conv-basics --force && {BIN}/nbgrader autograde conv-basics",
        shell=True, cwd=plain_course, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        driver = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(driver_course)],
                                env=ENV, capture_output=True, text=True, timeout=900)
        plain_log, _ = plain.communicate(timeout=900)
    finally:
        if plain.poll() is None:
            plain.kill()
    return {"driver": driver, "driver_course": driver_course, "plain": plain, "plain_log": plain_log,
            "plain_course": plain_course}


def read_csv(path):
    with open(path, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_driver_grades_every_student_with_the_expected_score_and_status(graded):
    driver = graded["driver"]
    assert driver.returncode == 0, driver.stdout + driver.stderr
    rows = read_csv(graded["driver_course"] / "grades.csv")
    expected = {**EXPECTED, **DRIVER_ONLY}
    assert sorted(rows) == sorted(expected), "every submitted folder has a row, and only those"
    got = {s: (float(r["score"]), r["status"]) for s, r in rows.items()}
    assert got == {s: (float(score), state) for s, (score, state) in expected.items()}
    assert all(float(r["max_score"]) == MAX_SCORE for r in rows.values())
    assert "Unterminated string" in rows["corrupt_json"]["details"]
    assert "found: practice.html" in rows["missing_notebook"]["details"]


def test_driver_shows_progress_for_each_graded_notebook(graded):
    lines = [line for line in graded["driver"].stdout.splitlines() if line.startswith("[")]
    assert len(lines) == len(EXPECTED) + len(DRIVER_ONLY) - 1  # the missing notebook has nothing to grade
    assert any("partial" in line and "16.0 / 26" in line for line in lines)
    assert "need a look" in graded["driver"].stdout


def test_feedback_says_why_in_words_without_hidden_test_code(graded):
    feedback = graded["driver_course"] / "feedback"
    pages = {p.parts[-3]: visible_text(p.read_text(encoding="utf-8"))
             for p in feedback.glob("*/conv-basics/practice.html")}
    assert sorted(pages) == sorted(set(EXPECTED) - {"missing_notebook"})  # and none for kills_grader
    hidden = hidden_lines()
    assert len(hidden) == 2 * 18
    source_page = visible_text(hidden_page_example())
    assert all(line in source_page for line in hidden), "the leak check can see code"
    for student, page in pages.items():
        shown = [line for line in hidden if line in page]
        assert shown == [], f"{student}'s feedback shows hidden test code"
        assert "HIDDEN TESTS" not in page
    assert "it should raise ValueError or IndexError because the output has shape" in words(pages["partial"])
    assert "re-checked in a fresh Python process: corr2d(image, kernel) is wrong" in words(pages["allclose_cheat"])
    assert "not run: the kernel had died in cell" in words(pages["kernel_exit"])


def hidden_page_example():
    """The source notebook as HTML: proof that hidden lines are findable in a rendered page."""
    from nbconvert import HTMLExporter
    return HTMLExporter().from_filename(str(ROOT / "source" / "conv-basics" / "practice.ipynb"))[0]


def test_plain_nbgrader_autograde_grades_everyone_too(graded):
    assert graded["plain"].returncode == 0, graded["plain_log"][-5000:]
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded['plain_course'] / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions("conv-basics")}
    expected = {s: float(score) for s, (score, _) in EXPECTED.items() if s != "missing_notebook"}
    assert scores == expected
    report = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(graded["plain_course"]),
                             "--report-only"], env=ENV, capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    rows = read_csv(graded["plain_course"] / "grades.csv")
    assert {s: r["status"] for s, r in rows.items()} == {s: state for s, (_, state) in EXPECTED.items()}


def test_regrading_one_student_keeps_everyone_in_the_csv(graded):
    course = graded["driver_course"]
    regrade = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(course),
                              "--student", "tampered_test"], env=ENV, capture_output=True, text=True, timeout=600)
    assert regrade.returncode == 0, regrade.stdout + regrade.stderr
    rows = read_csv(course / "grades.csv")
    assert sorted(rows) == sorted({**EXPECTED, **DRIVER_ONLY})
    assert (float(rows["tampered_test"]["score"]), rows["tampered_test"]["status"]) == (22.0, "tampered")
    assert rows["partial"]["score"] == "16.0"


def test_make_grade_runs_the_driver_with_course_and_assignment():
    dry = subprocess.run(["make", "-n", "-o", ".venv/.installed", "grade", "COURSE=/some/course", "ASSIGNMENT=conv-basics"],
                         cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert 'tools/grade.py --course "/some/course" --assignment "conv-basics"' in dry.stdout
