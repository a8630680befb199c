"""A grade that does not depend on the neighbour: a CPU hog graded beside honest classmates.

The driver grades, with two workers, a student whose last cell forks 12 busy processes that each
leave its session (setsid), beside honest full-marks classmates. Every honest row must be exactly
the expected one (the hog slowed their sandboxes, but their limits count their own CPU time, and
every box has the same CPU weight), the hog earns no more than its honest part, and nothing of it
outlives the grading. At the same time, another course grades a notebook of sleeping cells: its
notebook's wall-clock backstop stops it, with its own status.

Judged from outside: grades.csv, the autograded notebooks, and the processes left on the host.
"""
import os
import re
import threading
import time

import nbformat
import psutil
import pytest

import grading_support
from demo_class import hogs
from demo_class.conv_basics import ASSIGNMENT, NOTEBOOK
from demo_class.make_demo_class import SUBMITTED, expected, max_score

HONEST = ["full_marks", "full_marks_2", "full_marks_3"]
UID_BASE, SLOTS = 64500, 64  # apart from the other grading tests' uids: a leftover with one is ours


@pytest.fixture(scope="module", autouse=True)
def sandbox():
    grading_support.require_sandbox()


def course(folder, students, extra_config=""):
    grading_support.course_copy(folder, students=["full_marks"], assignments=[ASSIGNMENT])
    submitted = folder / "submitted"
    for name in HONEST[1:]:
        if name in students:
            target = submitted / name / ASSIGNMENT
            target.mkdir(parents=True)
            (target / f"{NOTEBOOK}.ipynb").write_bytes((SUBMITTED / "full_marks" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_bytes())
    if "full_marks" not in students:
        import shutil
        shutil.rmtree(submitted / "full_marks")
    hogs.write(submitted, [s for s in students if s in hogs.KINDS])
    with open(folder / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Isolation.uid_base = {UID_BASE}\nc.Isolation.slots = {SLOTS}\n{extra_config}")
    return folder


def leftovers():
    found = []
    for process in psutil.process_iter(["uids", "cmdline"]):
        try:
            if UID_BASE <= process.info["uids"].real < UID_BASE + SLOTS:
                found.append((process.pid, process.info["cmdline"]))
        except (psutil.Error, TypeError, AttributeError):
            pass
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    import subprocess
    import sys
    base = tmp_path_factory.mktemp("fairness")
    busy = course(base / "busy", ["cpu_hog", *HONEST])
    # a wall-clock backstop of 20 s per notebook, so that the sleeper (150 s of sleep) is stopped soon
    quiet = course(base / "quiet", ["sleeper"], "c.Budget.notebook_wall_seconds = 20\n")
    started = time.monotonic()
    sleeper = subprocess.Popen([sys.executable, str(grading_support.ROOT / "tools" / "grade.py"), "--course",
                                str(quiet), "--jobs", "1"], env=grading_support.ENV, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    ended = {}

    def wait_for_sleeper():
        ended["log"] = sleeper.communicate(timeout=1500)[0]
        ended["seconds"] = time.monotonic() - started

    waiter = threading.Thread(target=wait_for_sleeper)
    waiter.start()
    result = grading_support.grade(busy, "--jobs", "2", timeout=1500)
    busy_seconds = time.monotonic() - started
    waiter.join()
    sleeper_log, sleeper_seconds = ended["log"], ended["seconds"]
    print(f"graded the hog and {len(HONEST)} honest students in {busy_seconds:.0f} s (load {os.getloadavg()[0]:.1f}); "
          f"the sleeper in {sleeper_seconds:.0f} s")
    return {"busy": busy, "quiet": quiet, "result": result, "sleeper": sleeper, "sleeper_log": sleeper_log,
            "sleeper_seconds": sleeper_seconds, "left": leftovers()}


def rows(course_folder):
    found = grading_support.read_csv(course_folder / "grades.csv")
    return {student: (float(row["score"]), row["status"]) for (student, _), row in found.items()}


def test_honest_rows_are_exact_beside_a_hog_that_leaves_its_session(graded):
    assert graded["result"].returncode == 0, graded["result"].stdout + graded["result"].stderr
    got = rows(graded["busy"])
    want = expected(ASSIGNMENT)["full_marks"]
    assert {s: got.get(s) for s in HONEST} == {s: want for s in HONEST}


def test_the_hog_earns_no_more_than_its_honest_part_and_its_last_cell_was_stopped_by_cpu_time(graded):
    score, state = rows(graded["busy"])["cpu_hog"]
    assert score == max_score(ASSIGNMENT)  # its honest part: every test passed before it hogged
    # "kernel died" too where its kernel, beside its own busy children, did not answer the interrupt in time
    assert state.replace("kernel died; ", "") == hogs.EXPECTED["cpu_hog"][1], state
    nb = nbformat.read(graded["busy"] / "autograded" / "cpu_hog" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    last = nb.cells[-1].outputs
    assert any(o.get("ename") == "CellTimeoutError" and "CPU time" in o.get("evalue", "") for o in last), last


def test_nothing_of_the_hog_outlives_the_grading(graded):
    assert graded["left"] == []


def test_the_driver_says_what_the_machine_gives_the_sandboxes(graded):
    from convgrade.cgroups import layout
    assert f"Sandbox limits: {layout().describe()}" in graded["result"].stdout


def test_a_notebook_of_sleeping_cells_is_stopped_by_its_notebook_backstop(graded):
    assert graded["sleeper"].returncode == 0, graded["sleeper_log"]
    assert rows(graded["quiet"])["sleeper"] == (0.0, hogs.EXPECTED["sleeper"][1])
    # 150 s of sleep in the kernel, and again in the re-check: each stopped at its 20 s backstop, so
    # at most 20 / 5 + 1 sleeping cells ran (the whole grading's time depends on the machine's load)
    nb = nbformat.read(graded["quiet"] / "autograded" / "sleeper" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    sleeps = [c for c in nb.cells if c.get("id", "").startswith("sleep-")]
    not_run = [c for c in sleeps if any(o.get("ename") == "NotRun" for o in c.outputs)]
    assert len(sleeps) - len(not_run) <= 20 // hogs.SLEEP_SECONDS + 1, len(not_run)
    details = [f["detail"] for f in nb.metadata["convgrade"]["flags"]]
    assert len(details) == 2 and all(re.search(r"waited .* for 2\d s of wall-clock time", d) for d in details), details


def test_a_hog_in_the_recheck_is_stopped_by_its_boxs_cpu_time(tmp_path):
    # the re-check server itself only waits: its own CPU-time limit never fires, the box's count does
    from convgrade import isolation, replay
    with replay.Replay(isolation.Isolation(uid_base=UID_BASE, slots=SLOTS), None, total_seconds=120) as running:
        started = time.monotonic()
        with pytest.raises(replay.ReplayGone) as stopped:
            running.run_cell(hogs.HOG, seed=1, seconds=2)
        assert stopped.value.stopped == "timed out", str(stopped.value)
        assert time.monotonic() - started < replay.wall_limit(2)
