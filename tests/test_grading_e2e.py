"""The instructor's path, end to end, on copies of the course with the demo class and the attackers.

Two graders run at once on two copies: `make grade` (tools/grade.py: a Dask LocalCluster) on the
whole class, and plain nbgrader (generate_assignment, autograde, generate_feedback, export) with the
course's nbgrader_config.py on PLAIN_CLASS (of conv-layers, PLAIN_LAYERS). Both must give every
student exactly the expected score and status on every assignment, write the same grades.csv
rows, and leave everything outside the submissions' own sandboxes as it was: the gradebook's
manual scores, the submissions, the records, the venv, the home folder, the course folder. No
feedback page may show hidden test code or solution text.
"""
import csv
import hashlib
import html
import io
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

import grading_support
from demo_class import attacks
from demo_class.make_demo_class import ROOT, SUBMITTED, available, expected, max_score, module

BIN = pathlib.Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
ASSIGNMENTS = available()


# Plain nbgrader grades in place, in one process, with the course root on sys.path: the students
# who test that path are the ones who attack the course folder, the host or the gradebook, cheat,
# tamper, or break the notebook, plus honest work. The others (endless loops, floods, hogs, copied
# cells, most honest bugs) exercise the same preprocessors as the driver's run of the whole class and
# only cost time here (the plain run was the suite's longest serial piece).
PLAIN_CLASS = {"full_marks", "partial", "off_by_one", "wrong", "untouched_stub", "allclose_cheat", "transformer_cheat",
               "deleted_test", "stripped_test", "tampered_test", "corrupt_json", "missing_notebook", "kernel_exit",
               "kills_grader", "persist", "tamper", "kill_everything", "leak", "forged_records"}
# Of them, conv-layers keeps honest work, a tamperer and a cheat: its other notebooks go through the
# same preprocessors, and the driver grades its whole demo class.
PLAIN_LAYERS = {"full_marks", "partial", "tampered_test", "allclose_cheat"}


# The sandboxes of these gradings take uids from here, apart from the default range (61000) that
# the suite's other grading tests use on the other worker at the same time: a process left with
# one of these uids after grading is one of ours.
UID_BASE, SLOTS = 63000, 256


def course_copy(folder, with_attackers=True, students=None):
    """What an instructor has after collecting: the course files, the demo class (and attackers),
    or only `students` of them."""
    grading_support.course_copy(folder, students=students)
    with open(folder / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Isolation.uid_base = {UID_BASE}\nc.Isolation.slots = {SLOTS}\n")
    if with_attackers:
        attacks.write(folder / "submitted", folder)
    for student in (folder / "submitted").iterdir() if students is not None else ():
        if student.name not in students:
            shutil.rmtree(student)
    return folder


def expected_rows(with_attackers=True):
    """(student, assignment) -> (score, status) for everyone in submitted/."""
    students = {s for a in ASSIGNMENTS for s in module(a).EXPECTED} | (set(attacks.EXPECTED) if with_attackers else set())
    table = {}
    for assignment in ASSIGNMENTS:
        known = expected(assignment)
        if with_attackers and assignment == attacks.ASSIGNMENT:
            from demo_class.make_demo_class import score
            known.update({s: (score(assignment, p), state) for s, (p, state) in attacks.EXPECTED.items()})
        for student in students:
            table[student, assignment] = known.get(student, (0.0, "missing notebook"))
    return table


def fingerprint(*roots):
    """Hashes of every file under roots (what grading must not change)."""
    found = {}
    for root in roots:
        for path in sorted(pathlib.Path(root).rglob("*")) if pathlib.Path(root).exists() else []:
            if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


# What IPython writes itself whenever any kernel of this user starts (the suite's other tests run
# kernels on the host beside the grading): its history and the profile's skeleton. Neither is ever
# executed; everything else in ~/.ipython (startup files, configs, extensions) could be.
IPYTHON_OWN = ("history.sqlite", "history.sqlite-journal", "history.sqlite-wal", "startup/README")


def host_state():
    site = pathlib.Path(sys.prefix) / "lib"
    home = {path: digest for path, digest in fingerprint(pathlib.Path.home() / ".ipython").items()
            if not path.endswith(IPYTHON_OWN)}
    return {"home": home,
            "kernels": fingerprint(pathlib.Path(sys.prefix) / "share" / "jupyter" / "kernels"),
            "pth": sorted(str(p) for p in site.rglob("*.pth"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    driver_course, plain_course = course_copy(base / "driver"), course_copy(base / "plain", students=PLAIN_CLASS)
    for work in (plain_course / "submitted").glob("*/conv-layers"):
        if work.parent.name not in PLAIN_LAYERS:
            shutil.rmtree(work)
    before = {"host": host_state(), "driver": fingerprint(driver_course / "submitted", driver_course / "source"),
              "plain": fingerprint(plain_course / "submitted", plain_course / "source")}
    steps = [f"{BIN}/nbgrader generate_assignment {a} --force && {BIN}/nbgrader autograde {a} && "
             f"{BIN}/nbgrader generate_feedback {a}" for a in ASSIGNMENTS]
    plain = subprocess.Popen(" && ".join(steps + [f"{BIN}/nbgrader export"]), shell=True, cwd=plain_course,
                             env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.monotonic()
    try:
        driver = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(driver_course)],
                                env=ENV, capture_output=True, text=True, timeout=1500)
        plain_log, _ = plain.communicate(timeout=1500)
    finally:
        if plain.poll() is None:
            plain.kill()
    return {"driver": driver, "driver_course": driver_course, "plain": plain, "plain_log": plain_log,
            "plain_course": plain_course, "before": before, "seconds": time.monotonic() - started}


def read_csv(path):
    with open(path, newline="") as handle:
        return {(row["student_id"], row["assignment"]): row for row in csv.DictReader(handle)}


def test_make_grade_gives_every_student_the_expected_score_and_status(graded):
    driver = graded["driver"]
    assert driver.returncode == 0, driver.stdout[-3000:] + driver.stderr[-3000:]
    rows = read_csv(graded["driver_course"] / "grades.csv")
    want = expected_rows()
    assert sorted(rows) == sorted(want), "a row for every student and assignment, and only those"
    got = {key: (float(r["score"]), r["status"]) for key, r in rows.items()}
    assert got == {key: (float(score), state) for key, (score, state) in want.items()}
    for (_, assignment), row in rows.items():
        assert float(row["max_score"]) == max_score(assignment)
    assert "not valid JSON" in rows["corrupt_json", "conv-basics"]["details"]
    assert "found: practice.html" in rows["missing_notebook", "conv-basics"]["details"]


def test_plain_nbgrader_grades_its_class_the_same_and_export_writes_the_same_csv(graded):
    assert graded["plain"].returncode == 0, graded["plain_log"][-5000:]
    plain, driver = (list(csv.reader(io.StringIO((graded[name] / "grades.csv").read_text(), newline="")))
                     for name in ("plain_course", "driver_course"))
    assert plain[0][-2:] == ["status", "details"], "nbgrader export writes the status columns"
    assert len(plain) == 1 + len(PLAIN_CLASS) * len(ASSIGNMENTS)
    # the same rows, in the same order, as the driver's for the notebooks it graded
    student, assignment, status = (driver[0].index(column) for column in ("student_id", "assignment", "status"))

    def graded_here(row):
        return row[student] in PLAIN_CLASS and (row[assignment] != "conv-layers" or row[student] in PLAIN_LAYERS)
    assert plain[0] == driver[0]
    assert [row for row in plain[1:] if graded_here(row)] == [row for row in driver[1:] if graded_here(row)]
    left_out = [row for row in plain[1:] if not graded_here(row)]
    assert left_out and all(row[status] == "missing notebook" for row in left_out)


def test_progress_shows_one_line_per_graded_notebook(graded):
    lines = [line for line in graded["driver"].stdout.splitlines() if line.startswith("[")]
    graded_count = sum(1 for state in expected_rows().values() if state[1] != "missing notebook")
    assert len(lines) == graded_count
    assert lines[-1].startswith(f"[{graded_count:>3}/{graded_count}]")
    assert "need a look" in graded["driver"].stdout


def secret_lines():
    """(hidden-test and checks-module lines, solution lines) of every assignment, long enough to be
    recognised in a page."""
    hidden, solutions = set(), set()
    for assignment in ASSIGNMENTS:
        folder = ROOT / "source" / assignment
        for path in folder.glob("*.ipynb"):
            for cell in nbformat.read(path, as_version=4).cells:
                for begin, end, found in (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", hidden),
                                          ("BEGIN SOLUTION", "END SOLUTION", solutions)):
                    for region in cell.source.split(f"### {begin}")[1:]:
                        found |= {l.strip() for l in region.split(f"### {end}")[0].splitlines() if len(l.strip()) > 24}
        if (folder / "checks.py").exists():
            hidden |= {l.strip() for l in (folder / "checks.py").read_text().splitlines()
                       if len(l.strip()) > 30 and not l.strip().startswith(("#", '"""', "import", "from"))}
    return hidden, solutions


def visible_text(page):
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def own_submission(page):
    """The cells of the student's own notebook, as handed in (their page may show their answers back)."""
    student, assignment = page.parts[-3], page.parts[-2]
    text = []
    for path in (page.parents[3] / "submitted" / student / assignment).glob("*.ipynb"):
        try:
            text += [cell.source for cell in nbformat.read(path, as_version=4).cells]
        except Exception:  # the corrupt one
            pass
    return "\n".join(text)


def test_feedback_shows_neither_hidden_tests_nor_solutions_and_works_offline(graded):
    hidden, solutions = secret_lines()
    assert len(hidden) > 30 and len(solutions) > 30
    pages = list(graded["driver_course"].glob("feedback/*/*/*.html")) + list(graded["plain_course"].glob("feedback/*/*/*.html"))
    assert len(pages) > 40
    for page in pages:
        text = page.read_text(encoding="utf-8")
        shown = visible_text(text)
        own = own_submission(page)
        # (a line of the student's own notebook may come back on their page, even if a check has it too)
        leaked = [line for line in hidden | solutions if line in shown and line not in own]
        assert leaked == [], f"{page} shows {leaked[:3]}"
        assert "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
        assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']https?://""", text), f"{page} loads from the web"
        assert ">Test cell<" not in text
    for course in (graded["driver_course"], graded["plain_course"]):
        extra = [p for p in course.glob("feedback/**/*") if p.is_file() and p.suffix != ".html"]
        assert extra == [], f"only pages in feedback/: {extra[:5]}"


def test_feedback_says_why_in_words(graded):
    pages = {p.parts[-3]: " ".join(visible_text(p.read_text(encoding="utf-8")).split())
             for p in graded["driver_course"].glob("feedback/*/conv-basics/practice.html")}
    assert "it should raise ValueError because the output has shape" in pages["partial"]
    assert "passed in your notebook, but failed when the grader ran it again on the same inputs" in pages["allclose_cheat"]
    assert "not run: the kernel had died in cell" in pages["kernel_exit"]
    assert "corr2d matches PyTorch on fresh random square images and kernels." in pages["full_marks"]


def test_nothing_outside_the_sandboxes_changed(graded):
    before = graded["before"]
    assert host_state() == before["host"], "the home folder, the kernelspecs and the venv's .pth files are as they were"
    for name in ("driver", "plain"):
        course = graded[f"{name}_course"]
        assert fingerprint(course / "submitted", course / "source") == before[name]
        assert not (course / "torch").exists() and not (course / "convgrade").exists()
        records = list((course / "autograded" / ".logs").rglob("*.json")) if (course / "autograded" / ".logs").exists() else []
        assert all(p.is_file() and not p.is_symlink() for p in records)
        from nbgrader.api import Gradebook
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            manual = [g.manual_score for a in ASSIGNMENTS for s in gb.assignment_submissions(a)
                      for n in s.notebooks for g in n.grades]
        assert manual and all(m is None for m in manual), "no manual score was written by a submission"
    leftovers = [p.pid for p in psutil.process_iter(["uids"])
                 if p.info["uids"] and UID_BASE <= p.info["uids"].real < UID_BASE + SLOTS]
    assert leftovers == [], "no sandboxed process outlives grading"


def test_regrading_one_student_keeps_everyone_in_the_csv(graded):
    course = graded["driver_course"]
    before = read_csv(course / "grades.csv")
    regrade = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(course),
                              "--student", "partial", "--executor", "serial"],
                             env=ENV, capture_output=True, text=True, timeout=600)
    assert regrade.returncode == 0, regrade.stdout + regrade.stderr
    assert read_csv(course / "grades.csv") == before


def test_the_same_submissions_graded_five_times_give_identical_rows(graded, tmp_path):
    # Five gradings in all: the fixture's two (make grade and plain nbgrader, every student) and
    # three more here, of the students whose random inputs matter most, each in a course copy of
    # its own, the three at once (the machine's load must not change a row either).
    keep = {"partial", "off_by_one", "allclose_cheat"}
    courses = [course_copy(tmp_path / f"course{i}", with_attackers=False, students=keep) for i in range(3)]
    runs = [subprocess.Popen([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(course),
                              "--assignment", "conv-basics", "--executor", "serial", "--quiet"],
                             env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for course in courses]
    for run in runs:
        out, _ = run.communicate(timeout=900)
        assert run.returncode == 0, out
    found = [read_csv(graded[name] / "grades.csv") for name in ("driver_course", "plain_course")]
    found += [read_csv(course / "grades.csv") for course in courses]
    rows = [{key: row for key, row in table.items() if key[0] in keep and key[1] == "conv-basics"} for table in found]
    assert len(rows[0]) == len(keep) and all(table == rows[0] for table in rows), "identical rows, five times"
    assert rows[0]["off_by_one", "conv-basics"]["status"] == "ok"  # an honest bug is never suspicious


def test_zip_collect_works_as_the_instructors_page_says(tmp_path):
    import zipfile
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source", course / "source", symlinks=True)
    archive = course / "downloaded" / "conv-basics" / "archive"
    archive.mkdir(parents=True)
    notebook = (SUBMITTED / "partial" / "conv-basics" / "practice.ipynb").read_bytes()
    with zipfile.ZipFile(archive / "submissions.zip", "w") as bundle:  # Canvas: name_userid_subid_file
        bundle.writestr("bitdiddleben_12345_67890_practice.ipynb", notebook)
        bundle.writestr("hackeralyssa_LATE_22222_33333_practice-1.ipynb", notebook)
    run = subprocess.run([str(BIN / "nbgrader"), "zip_collect", "conv-basics"], cwd=course, env=ENV,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    for student in ("bitdiddleben", "hackeralyssa"):
        assert (course / "submitted" / student / "conv-basics" / "practice.ipynb").read_bytes() == notebook


def test_make_grade_runs_the_driver_with_course_and_assignment():
    dry = subprocess.run(["make", "-n", "-o", ".venv/.installed", "grade", "COURSE=/some/course", "ASSIGNMENT=conv-basics"],
                         cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert 'tools/grade.py --course "/some/course" --assignment "conv-basics"' in dry.stdout


def test_formgrader_shows_the_same_scores(graded):
    """nbgrader's formgrader, served by a real Jupyter server on the graded course, reads the same gradebook."""
    import json
    import socket
    import urllib.request
    course = graded["driver_course"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(BIN / "jupyter"), "server", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
                               "--ServerApp.token=formgrader-test", f"--ServerApp.root_dir={course}", "--allow-root"],
                              cwd=course, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def get(path):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                             headers={"Authorization": "token formgrader-test"})
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        deadline = time.monotonic() + 120
        while True:
            try:
                get("/api/status")
                break
            except OSError:
                assert time.monotonic() < deadline, "the Jupyter server came up"
                time.sleep(0.5)
        rows = read_csv(course / "grades.csv")
        for assignment in ASSIGNMENTS:
            status, body = get(f"/formgrader/api/submissions/{assignment}")
            assert status == 200
            shown = {s["student"]: float(s["score"]) for s in json.loads(body) if s.get("autograded")}
            assert shown, "formgrader lists the graded submissions"
            for student, score in shown.items():
                assert score == float(rows[student, assignment]["raw_score"])
        status, page = get("/formgrader")
        assert status == 200 and b"Manage Assignments" in page
    finally:
        server.terminate()
        server.wait(30)


def test_feedback_pages_work_offline_in_chromium(graded):
    """A student's page, opened in Chromium from the file: no request leaves it, no script error."""
    import shutil as which
    browser_path = which.which("chromium")
    if browser_path is None:
        pytest.skip("Debian's chromium is not installed") if not os.environ.get("CONVLAB_REQUIRE_BROWSER") \
            else pytest.fail("chromium is required here")
    from playwright.sync_api import sync_playwright
    pages = [graded["driver_course"] / "feedback" / "partial" / a / f"{module(a).NOTEBOOK}.html" for a in ASSIGNMENTS]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            for path in pages:
                page = browser.new_page()
                requests, errors = [], []
                page.on("request", lambda request: requests.append(request.url))
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto(path.as_uri(), wait_until="load")
                assert [url for url in requests if not url.startswith(("file://", "data:"))] == []
                assert errors == []
                assert "Score:" in page.inner_text("body")
                page.close()
        finally:
            browser.close()
