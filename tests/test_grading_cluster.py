"""make grade on Dask: the default LocalCluster, another cluster, PostgreSQL, and faults.

A real PostgreSQL server (started here) holds the gradebook of one course copy while a worker is
killed in the middle of a submission: nothing is lost or counted twice, and grades.csv is identical
to SQLite's; a submission that kills every worker it lands on is tried a bounded number of times and
flagged while the batch goes on; an unreachable database is named before anything is graded.
"""
import os
import signal
import threading
import time

import psutil
import pytest
from grading_support import (Postgres, course_copy, grade, postgres_problem, read_csv, require,
                             require_sandbox, with_database)

from demo_class.make_demo_class import expected

STUDENTS = ["full_marks", "partial", "off_by_one", "allclose_cheat", "corrupt_json", "missing_notebook"]


@pytest.fixture(scope="module", autouse=True)
def sandbox():
    require_sandbox()


@pytest.fixture(scope="module")
def postgres():
    require(postgres_problem(), "CONVGRADE_REQUIRE_POSTGRES", "PostgreSQL")
    server = Postgres()
    yield server
    server.stop()


def expected_rows(students, assignment="conv-basics"):
    known = expected(assignment)
    return {(s, assignment): known[s] for s in students}


def scores(rows):
    return {key: (float(r["score"]), r["status"]) for key, r in rows.items()}


def dask_workers(driver):
    """The worker processes of the driver's LocalCluster (spawned by its nannies)."""
    try:
        return [p for p in psutil.Process(driver.pid).children() if "spawn_main" in " ".join(p.cmdline())]
    except psutil.NoSuchProcess:
        return []


def kill_a_busy_worker(driver, killed, seconds=300):
    """SIGKILL the first of the driver's Dask workers seen grading (it has started a kernel)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not killed:
        for worker in dask_workers(driver):
            try:
                if any("kernel_launch" in " ".join(c.cmdline()) for c in worker.children(recursive=True)):
                    worker.send_signal(signal.SIGKILL)
                    killed.append(worker.pid)
                    return
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.2)


def test_a_worker_killed_while_it_grades_into_postgres_loses_nothing_and_gives_sqlites_csv(tmp_path, postgres):
    """Two claims, one Dask run (each run costs minutes here): with the course's gradebook on a real
    PostgreSQL server, which the workers write themselves, a worker killed in the middle of a
    submission loses nothing and counts nothing twice, and grades.csv is byte for byte the one a
    SQLite gradebook gives (graded one by one, without Dask)."""
    import subprocess
    import sys

    from grading_support import ENV, ROOT
    sqlite_course = course_copy(tmp_path / "sqlite", STUDENTS, ["conv-basics"])
    pg_course = course_copy(tmp_path / "postgres", STUDENTS, ["conv-basics"])
    with_database(pg_course, postgres.url)
    first = grade(sqlite_course, "--executor", "serial")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    driver = subprocess.Popen([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(pg_course)],
                              env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killed = []
    watcher = threading.Thread(target=kill_a_busy_worker, args=(driver, killed), daemon=True)
    watcher.start()
    output, _ = driver.communicate(timeout=1500)
    watcher.join(5)
    assert driver.returncode == 0, output[-3000:]
    assert killed, "a busy worker was found and killed"
    assert "Dask LocalCluster: 2 worker process(es)" in output or os.cpu_count() != 2
    graded = [line.split()[4] for line in output.splitlines() if line.startswith("[")]
    assert sorted(graded) == sorted(s for s in STUDENTS if s != "missing_notebook"), "each graded once"
    rows = read_csv(pg_course / "grades.csv")
    details = {key: row["details"] for key, row in rows.items() if row["details"]}
    assert scores(rows) == {k: (float(s), st) for k, (s, st) in expected_rows(STUDENTS).items()}, \
        (details, output[-4000:])
    assert (pg_course / "grades.csv").read_bytes() == (sqlite_course / "grades.csv").read_bytes()
    assert not (pg_course / "gradebook.db").exists(), "the PostgreSQL course wrote no SQLite gradebook"
    from nbgrader.api import Gradebook
    with Gradebook(postgres.url) as gb:  # the workers wrote the grades there themselves, once each
        assert sorted(s.student.id for s in gb.assignment_submissions("conv-basics")) == \
            sorted(s for s in STUDENTS if s != "missing_notebook")


def test_an_unreachable_database_is_named_before_anything_is_graded(tmp_path):
    course = course_copy(tmp_path / "course", ["full_marks"], ["conv-basics"])
    url = f"postgresql://grader@/gradebook?host={tmp_path / 'no-server-here'}"
    with_database(course, url)
    run = grade(course)
    assert run.returncode == 2 and "db_url=" in run.stderr and "no-server-here" in run.stderr
    assert not (course / "autograded").exists()


POISON = '''

# A test-only fault: grading this student kills the worker process it runs in.
import os as _os
from nbgrader.preprocessors import NbGraderPreprocessor as _Base


class KillTheWorker(_Base):
    def preprocess(self, nb, resources):
        if resources["nbgrader"]["student"] == "poison":
            _os.kill(_os.getpid(), 9)
        return nb, resources


c.Autograde.sanitize_preprocessors = [KillTheWorker] + list(c.Autograde.sanitize_preprocessors)
'''


def test_a_submission_that_kills_every_worker_is_flagged_and_the_batch_goes_on(tmp_path):
    import shutil
    course = course_copy(tmp_path / "course", ["full_marks", "partial"], ["conv-basics"])
    shutil.copytree(course / "submitted" / "full_marks", course / "submitted" / "poison")
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write(POISON)
    run = grade(course)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = read_csv(course / "grades.csv")
    assert rows["poison", "conv-basics"]["status"] == "grader error"
    assert "worker process" in rows["poison", "conv-basics"]["details"]
    assert scores({k: v for k, v in rows.items() if k[0] != "poison"}) == \
        {k: (float(s), st) for k, (s, st) in expected_rows(["full_marks", "partial"]).items()}


def test_another_cluster_is_used_when_given(tmp_path):
    from distributed import LocalCluster
    course = course_copy(tmp_path / "course", ["partial"], ["conv-basics"])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs={"host": "127.0.0.1"}) as cluster:
        run = grade(course, "--scheduler", cluster.scheduler_address)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"Dask cluster at {cluster.scheduler_address}: 1 worker(s)" in run.stdout
    assert scores(read_csv(course / "grades.csv")) == \
        {k: (float(s), st) for k, (s, st) in expected_rows(["partial"]).items()}


def test_without_isolation_every_row_says_so(tmp_path):
    course = course_copy(tmp_path / "course", ["full_marks"], ["conv-basics"])
    run = grade(course, "--no-isolation", "--executor", "serial")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    row = read_csv(course / "grades.csv")["full_marks", "conv-basics"]
    assert (float(row["score"]), row["status"]) == (26.0, "not isolated")
