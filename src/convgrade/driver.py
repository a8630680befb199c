"""`make grade`: autograde every submission, each isolated, then feedback and grades.csv.

The driver imports nbgrader once and forks one worker per core. A worker grades one submission
at a time with nbgrader's own autograde and generate_feedback (its API, with the course's
nbgrader_config.py) and stays warm for the next one: a fork starts in milliseconds, where a fresh
`nbgrader` command needs seconds just to import. A submission that hangs, crashes or kills its
worker stops only itself: the driver kills the worker after --student-timeout (status "timed
out") or notices that it died ("grader error"), discards what it half wrote, and grades the next
submission with a fresh worker. Workers share one sandbox server (convgrade.sandbox) for the
independent re-check, and the SQLite gradebook, which nbgrader opens per operation.
"""
import argparse
import multiprocessing
import os
import pathlib
import sys
import time

from . import report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=".", help="course root with nbgrader_config.py (default: .)")
    parser.add_argument("--assignment", default="", help="one assignment (default: every one in source/)")
    parser.add_argument("--student", default="", help="re-grade one student (grades.csv still lists everyone)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="students graded at once")
    parser.add_argument("--student-timeout", type=float, default=600, help="seconds before a worker is killed")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--report-only", action="store_true",
                        help="only write grades.csv from what is graded (e.g. after plain nbgrader autograde)")
    args = parser.parse_args(argv)
    if not (pathlib.Path(args.course) / "nbgrader_config.py").is_file():
        parser.error(f"no nbgrader_config.py in {pathlib.Path(args.course).resolve()}: not a course folder")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.report_only:
        rows = write_report(args.course, args.assignment)
        print(report.summary(rows, pathlib.Path(args.course).resolve() / "grades.csv", 0))
        return 0
    grade_course(args.course, args.assignment, args.student, args.jobs, args.student_timeout,
                 progress=None if args.quiet else print)
    return 0


def grade_course(course, assignment="", student="", jobs=2, student_timeout=600.0, progress=print):
    """Grade the course's submissions; write feedback and grades.csv; return the CSV rows."""
    started = time.monotonic()
    say = progress or (lambda *a, **k: None)
    course = pathlib.Path(course).resolve()
    os.chdir(course)
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    from . import sandbox
    os.environ[sandbox.ENV_SOCKET] = sandbox.start_server()  # it loads torch while the driver loads the rest
    try:
        config = load_config(course)
        assignments = [assignment] if assignment else report.assignments(course, config)
        students = [student] if student else report.students(course, config)
        say(f"Grading {len(students)} student(s) x {len(assignments)} assignment(s) in {course} "
            f"with {jobs} worker(s)")
        _preload()
        for name in assignments:
            _run_isolated(_prepare_assignment, (config, name), timeout=600)
        todo = []
        for name in assignments:
            for who in students:
                missing = report.missing_notebooks(course, config, who, name)
                if missing:
                    report.write_record(course, config, who, name, "missing notebook", missing)
                    _run_isolated(_register_student, (config, who), timeout=120)
                else:
                    todo.append((who, name))
        sandbox.wait_for_server(os.environ[sandbox.ENV_SOCKET])
        _run_workers(course, config, todo, jobs, student_timeout, say)
    finally:
        sandbox.stop_server()
        del os.environ[sandbox.ENV_SOCKET]
    rows = write_report(course, assignment)
    say(report.summary(rows, course / "grades.csv", time.monotonic() - started))
    return rows


def write_report(course, assignment=""):
    """grades.csv for every submitted folder and assignment, from the gradebook and the flags."""
    course = pathlib.Path(course).resolve()
    config = load_config(course)
    assignments = [assignment] if assignment else report.assignments(course, config)
    rows = report.build_rows(course, config, assignments, report.students(course, config))
    report.write_csv(course, rows)
    return rows


def _preload():
    """Import once here what every worker needs, so that each fork starts with it loaded."""
    import nbconvert.exporters  # noqa: F401
    import nbgrader.apps  # noqa: F401
    import torch  # noqa: F401  (the re-check's oracle; no torch op runs before the fork)
    from . import exporter, execution, feedback, sanitize, verify  # noqa: F401


def load_config(course):
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    return config


# ---------------------------------------------------------------- work done in forked processes

def _api(config):
    from nbgrader.apps import NbGraderAPI
    return NbGraderAPI(config=config)


def _prepare_assignment(config, assignment):
    """Put the assignment's source cells in the gradebook (nbgrader generate_assignment) without
    touching the committed release: the release goes to a temporary folder."""
    import tempfile
    from traitlets.config import Config
    with tempfile.TemporaryDirectory() as release:
        local = Config(config)
        local.CourseDirectory.release_directory = release
        result = _api(local).generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('error', '')}")


def _register_student(config, student):
    from nbgrader.api import Gradebook
    api = _api(config)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        gb.update_or_create_student(student)


def _child_main(target, args):
    """Body of every forked process: run target, then leave without running the driver's exit code."""
    try:
        target(*args)
    except BaseException:
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(2)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _start(target, args):
    process = multiprocessing.get_context("fork").Process(target=_child_main, args=(target, args))
    process.start()
    return process


def _run_isolated(target, args, timeout):
    """Run target(*args) in a forked process (no database handle or thread ever lives in the driver)."""
    process = _start(target, args)
    process.join(timeout)
    if process.is_alive():
        _kill_tree(process.pid)
        raise RuntimeError(f"{target.__name__} did not finish within {timeout} s")
    if process.exitcode != 0:
        raise RuntimeError(f"{target.__name__}{args[1:]} failed (exit code {process.exitcode})")


def _serve_jobs(config, connection, inherited):
    """A worker's life: grade the submissions the driver sends, one at a time, until it hangs up."""
    for other in inherited:  # copies of the driver's pipe ends would keep our own pipe from closing
        other.close()
    api = _api(config)
    while True:
        try:
            student, assignment, log_path = connection.recv()
        except EOFError:
            return
        connection.send(_grade_one(api, student, assignment, log_path))


def _grade_one(api, student, assignment, log_path):
    """Autograde one submission and write its feedback: '' if both worked, else what failed."""
    sys.stdout.flush()
    sys.stderr.flush()
    with open(log_path, "w") as log:  # kernels, sqlalchemy and nbgrader write here, not to the terminal
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            graded = api.autograde(assignment, student, force=True, create=True)
            print(graded.get("log", ""), graded.get("error", ""), sep="\n")
            if not graded["success"]:
                return "nbgrader autograde failed"
            feedback = api.generate_feedback(assignment, student, force=True)
            print(feedback.get("log", ""), feedback.get("error", ""), sep="\n")
            return "" if feedback["success"] else "nbgrader generate_feedback failed"
        except Exception:
            import traceback
            traceback.print_exc()
            return "the grader raised an exception"
        finally:
            sys.stdout.flush()
            sys.stderr.flush()


_driver_ends = []  # the driver's end of every worker's pipe (a new worker closes its copies)


class _Worker:
    """A forked grading process, kept for the next submission while it is healthy (it stays warm:
    nbgrader's first run in a process costs about a second more than the next ones)."""

    def __init__(self, config):
        context = multiprocessing.get_context("fork")
        self.connection, end = context.Pipe()
        inherited = [*_driver_ends, self.connection]
        self.process = context.Process(target=_child_main, args=(_serve_jobs, (config, end, inherited)))
        self.process.start()
        end.close()
        _driver_ends.append(self.connection)
        self.job = None

    def give(self, student, assignment, log_path):
        self.job = (student, assignment, log_path, time.monotonic())
        self.connection.send((student, assignment, str(log_path)))

    def outcome(self, timeout):
        """None while the submission is being graded; then '' (graded) or what went wrong."""
        started = self.job[3]
        if self.connection.poll():
            try:
                return self.connection.recv()
            except EOFError:
                pass
        if not self.process.is_alive():
            return f"the grading process ended (exit code {self.process.exitcode})"
        if time.monotonic() - started > timeout:
            _kill_tree(self.process.pid)
            return f"timed out: grading stopped after {timeout:.0f} s"
        return None

    def stop(self):
        _driver_ends.remove(self.connection)
        self.connection.close()
        self.process.join(10)
        if self.process.is_alive():
            _kill_tree(self.process.pid)


def _run_workers(course, config, todo, jobs, student_timeout, say):
    """Grade the (student, assignment) pairs on `jobs` workers; a worker that fails is replaced."""
    queue, workers, done = list(todo), [], 0
    try:
        while queue or any(worker.job for worker in workers):
            for worker in workers:
                if worker.job is None and queue:
                    student, assignment = queue.pop(0)
                    worker.give(student, assignment, report.log_path(course, config, student, assignment, ".log"))
            if queue and len(workers) < jobs:
                workers.append(_Worker(config))  # it gets a submission on the next turn
            time.sleep(0.05)
            for worker in list(workers):
                if worker.job is None:
                    continue
                problem = worker.outcome(student_timeout)
                if problem is None:
                    continue
                student, assignment, log_path, started = worker.job
                worker.job = None
                if problem:
                    report.discard_results(course, config, student, assignment)
                    state = "timed out" if problem.startswith("timed out") else "grader error"
                    report.write_record(course, config, student, assignment, state, f"{problem}; see {log_path}")
                    worker.stop()  # it may be broken: the next submission gets a fresh one
                    workers.remove(worker)
                else:
                    report.clear_record(course, config, student, assignment)
                done += 1
                say(report.progress_line(course, config, student, assignment, done, len(todo),
                                         time.monotonic() - started))
    finally:
        for worker in workers:
            worker.stop()


def _kill_tree(pid):
    """Kill a worker and everything it started (its kernel runs in a session of its own)."""
    import psutil
    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


if __name__ == "__main__":
    sys.exit(main())
