"""`make grade`: autograde every submission on a Dask cluster, then feedback and grades.csv.

The unit of work is one (student, assignment): a task (tasks.grade_submission) that takes the
submission, the assignment's source and the course's configuration as data, grades them with
nbgrader in a temporary course folder on its worker, and returns the autograded notebook, the
feedback page and the log. This client writes them into autograded/ and feedback/ and, for the
default SQLite gradebook, records the grades with nbgrader's own SaveAutoGrades; with a
PostgreSQL db_url the workers write their grades to that database themselves.

By default the cluster is a LocalCluster of one worker process per core (one thread each),
started here and shut down at the end; --scheduler ADDRESS (or CONVGRADE_SCHEDULER) submits to
a cluster that is already running. A worker that dies mid-task has its submission graded again
elsewhere; a submission that kills every worker it lands on is flagged after a bounded number of
tries, and the batch goes on. Nothing is recorded until a task's result arrives, so nothing is
lost or counted twice.
"""
import argparse
import os
import pathlib
import sys
import tempfile
import time

from . import export, report
from .printable import install as escape_logs, printable

ENV_SCHEDULER = "CONVGRADE_SCHEDULER"
ALLOWED_FAILURES = 2  # workers a submission may take down with it before it is flagged


def load_config(course):
    """The course's nbgrader_config.py (and this environment's bin/ on PATH: nbgrader runs alembic by name)."""
    here = os.path.dirname(sys.executable)
    if here not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(pathlib.Path(course).resolve())
    return config


def course_directory(config):
    from nbgrader.coursedir import CourseDirectory
    return CourseDirectory(config=config)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=".", help="course root with nbgrader_config.py (default: .)")
    parser.add_argument("--assignment", default="", help="one assignment (default: every one in source/)")
    parser.add_argument("--student", default="", help="re-grade one student (grades.csv still lists everyone)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="local worker processes (default: cores)")
    parser.add_argument("--scheduler", default=os.environ.get(ENV_SCHEDULER, ""),
                        help=f"address of a running Dask scheduler (or ${ENV_SCHEDULER}); default: a LocalCluster")
    parser.add_argument("--executor", choices=["dask", "pool", "serial"], default="dask",
                        help="dask (default), a plain process pool, or one by one in this process")
    parser.add_argument("--student-timeout", type=float, default=1800, help="seconds before a task is given up")
    parser.add_argument("--no-isolation", action="store_true",
                        help="grade without bubblewrap sandboxes (rows get the status 'not isolated')")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--report-only", action="store_true",
                        help="only write grades.csv from what is graded (e.g. after plain nbgrader autograde)")
    args = parser.parse_args(argv)
    escape_logs()  # this process's log lines (Dask's, nbgrader's) escaped, whatever the course's config says
    course = pathlib.Path(args.course).resolve()
    if not (course / "nbgrader_config.py").is_file():
        parser.error(f"no nbgrader_config.py in {course}: not a course folder")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    say = (lambda *a, **k: None) if args.quiet else print
    if args.report_only:
        started = time.monotonic()
        rows, path = write_report(course, args.assignment)
        say(report.summary(rows, path, time.monotonic() - started, graded=0))
        return 0
    try:
        grade_course(course, args.assignment, args.student, jobs=args.jobs, scheduler=args.scheduler,
                     executor=args.executor, isolation="none" if args.no_isolation else None,
                     student_timeout=args.student_timeout, progress=say)
    except CourseError as error:
        print(f"make grade: {printable(str(error), newlines=True)}", file=sys.stderr)
        return 2
    return 0


class CourseError(Exception):
    """Something about the course stops grading before it starts (said in words)."""


def write_report(course, assignment=""):
    """grades.csv (nbgrader export's columns plus status and details) for the whole class."""
    from nbgrader.api import Gradebook
    coursedir = course_directory(load_config(course))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        rows = export.rows(gb, coursedir, [assignment] if assignment else [])
    path = pathlib.Path(coursedir.root) / "grades.csv"
    export.write(path, rows)
    return rows, path


def grade_course(course, assignment="", student="", jobs=2, scheduler="", executor="dask", isolation=None,
                 student_timeout=1800.0, progress=print):
    """Grade the course's submissions; write feedback and grades.csv; return the CSV rows."""
    started = time.monotonic()
    say = progress or (lambda *a, **k: None)
    course = pathlib.Path(course).resolve()
    config = load_config(course)
    if isolation:
        config.Isolation.mode = isolation
    coursedir = course_directory(config)
    _check_isolation(config)
    from .cgroups import layout
    say(f"Sandbox limits: {layout().describe()}")
    shared_db = not coursedir.db_url.startswith("sqlite")
    _check_database(coursedir.db_url)
    assignments = [assignment] if assignment else report.assignments(coursedir)
    students = [student] if student else report.students(coursedir)
    templates = {name: _prepare_assignment(config, name, want_template=not shared_db) for name in assignments}
    jobs_todo = []
    for name in assignments:
        for who in students:
            _register_student(coursedir.db_url, who)
            missing = report.missing_notebooks(coursedir, who, name)
            if missing:
                report.discard_results(coursedir, who, name)
                report.write_record(coursedir, who, name, "missing notebook", missing)
            else:
                jobs_todo.append(_job(course, config, coursedir, who, name, templates[name], shared_db))
    say(f"Grading {len(jobs_todo)} submission(s) of {len(students)} student(s) x {len(assignments)} "
        f"assignment(s) in {printable(course)}")
    done = [0]

    def finished(job, result):
        done[0] += 1
        store(coursedir, job, result, record_grades=not shared_db, config=config)
        say(report.progress_line(coursedir, job["student"], job["assignment"], done[0], len(jobs_todo),
                                 result.get("seconds", 0.0)))

    run = {"dask": run_on_dask, "pool": run_in_pool, "serial": run_serially}[executor]
    run(jobs_todo, finished, jobs=jobs, scheduler=scheduler, isolation=config.Isolation.get("mode", "bubblewrap"),
        student_timeout=student_timeout, say=say)
    rows, path = write_report(course, assignment)
    say(report.summary(rows, path, time.monotonic() - started, graded=len(jobs_todo)))
    return rows


# ---------------------------------------------------------------- before grading

def _check_isolation(config):
    from .isolation import Isolation, IsolationUnavailable
    try:
        Isolation(config=config).check()
    except IsolationUnavailable as error:
        raise CourseError(str(error)) from None


def _check_database(db_url):
    """A clear error naming db_url before anything is graded, if the gradebook cannot be reached."""
    from nbgrader.api import Gradebook

    from .gradebook import stamp_if_new
    try:
        stamp_if_new(db_url)
        with Gradebook(db_url) as gb:
            gb.assignments  # noqa: B018 (a query: it fails if the database does not answer)
    except Exception as error:
        raise CourseError(f"cannot open the gradebook at db_url={db_url!r} (set in nbgrader_config.py): "
                          f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}") from None


def _prepare_assignment(config, assignment, want_template):
    """Put the assignment's cells in the gradebook (nbgrader generate_assignment) without touching the
    committed release; for a SQLite gradebook also make a template gradebook holding only them."""
    import copy

    from nbgrader.apps import NbGraderAPI

    from .gradebook import stamp_if_new
    with tempfile.TemporaryDirectory(prefix="convgrade-release-") as release:
        local = copy.deepcopy(config)  # (Config(config) would share, and change, its sections)
        local.CourseDirectory.release_directory = release
        result = NbGraderAPI(config=local).generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('error', '')}")
        if not want_template:
            return None
        local.CourseDirectory.db_url = f"sqlite:///{release}/template.db"
        stamp_if_new(local.CourseDirectory.db_url)
        result = NbGraderAPI(config=local).generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('error', '')}")
        return pathlib.Path(release, "template.db").read_bytes()


def _register_student(db_url, student):
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)


def _job(course, config, coursedir, student, assignment, template, shared_db):
    from . import seeds, tasks
    secret = seeds.course_secret(coursedir.root, config.Seeds.get("secret_file", seeds.SECRET_FILE))
    submission, refused = tasks.read_submission(report.folder(coursedir, "submitted") / student / assignment)
    dirs = {kind: getattr(coursedir, f"{kind}_directory") for kind in ("source", "submitted", "autograded", "feedback")}
    return {
        "student": student, "assignment": assignment, "dirs": dirs, "course_id": coursedir.course_id,
        "config": (course / "nbgrader_config.py").read_text(),
        "source": tasks.read_tree(report.folder(coursedir, "source") / assignment, follow_links=True),
        "submission": submission, "refused": refused,
        "gradebook": None if shared_db else template, "db_url": coursedir.db_url if shared_db else None,
        "key": seeds.student_key(secret, coursedir.course_id, assignment, student),
        "isolation": config.Isolation.get("mode", "bubblewrap"),
    }


# ---------------------------------------------------------------- after a task

def store(coursedir, job, result, record_grades, config):
    """Write one task's results into the course (the only place that writes there)."""
    student, assignment = job["student"], job["assignment"]
    report.discard_results(coursedir, student, assignment)
    # the task's log is escaped where it was written (tasks._grade, printable.install on the worker)
    report.log_path(coursedir, student, assignment, ".log").write_text(result.get("log", ""), encoding="utf-8")
    if result.get("problem"):
        # the driver's own limit counts the clock, not the student's CPU time: never "timed out"
        state = "grader overloaded; re-grade" if result["problem"].startswith("overloaded") else "grader error"
        report.write_record(coursedir, student, assignment, state,
                            f"{result['problem']}; see {report.LOG_FOLDER}/{assignment}/{student}.log")
        return
    for kind, files in (("autograded", result["autograded"]), ("feedback", result["feedback"])):
        folder = report.folder(coursedir, kind) / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / pathlib.Path(name).name).write_bytes(data)
    if record_grades:
        _record_grades(coursedir, config, student, assignment, result)
    report.clear_record(coursedir, student, assignment)


def _record_grades(coursedir, config, student, assignment, result):
    """What nbgrader autograde stores in the gradebook, from the returned autograded notebooks."""
    import warnings

    import nbformat
    from sqlalchemy.exc import SAWarning
    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own session use, harmless
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        gb.update_or_create_student(student)
        if result.get("timestamp"):
            gb.update_or_create_submission(assignment, student, timestamp=result["timestamp"])
        else:
            gb.update_or_create_submission(assignment, student)
    for name, data in result["autograded"].items():
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        resources = {"nbgrader": {"db_url": coursedir.db_url, "assignment": assignment, "student": student,
                                  "notebook": pathlib.Path(name).stem}}
        for preprocessor in (SaveAutoGrades(config=config), AssignLatePenalties(config=config)):
            nb, resources = preprocessor.preprocess(nb, resources)


def _failed(job, problem):
    """A task that returned nothing; problem (which may quote an exception) is escaped where it is shown."""
    return {"student": job["student"], "assignment": job["assignment"], "problem": problem,
            "log": printable(problem, newlines=True), "seconds": 0.0}


# ---------------------------------------------------------------- executors

def run_on_dask(jobs_todo, finished, jobs, scheduler, isolation, student_timeout, say):
    """Grade on Dask: a LocalCluster started here, or the cluster at `scheduler`."""
    import dask
    from distributed import Client, LocalCluster

    from .tasks import GraderPlugin, grade_submission
    cluster = None
    # lost-worker-timeout: a LocalCluster closes a worker's nanny for good when no worker of that
    # name is back 15 s (the default) after one died; a restarted grading worker can take longer
    # to start on a busy machine (it preloads torch and nbgrader), and the tasks handed to it then
    # count a second death (measured: two honest students flagged `grader error` after one kill).
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES - 1,
                          "distributed.deploy.lost-worker-timeout": "10 minutes",
                          "distributed.worker.daemon": False, "distributed.admin.tick.limit": "10s",
                          "distributed.logging.distributed": "error"}):
        if scheduler:
            client = Client(scheduler)
            say(f"Dask cluster at {printable(scheduler)}: {len(client.scheduler_info()['workers'])} worker(s)")
        else:
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=":0" if _has_dashboard() else None, silence_logs=40)
            client = Client(cluster)
            say(f"Dask LocalCluster: {jobs} worker process(es)"
                + (f", dashboard {cluster.dashboard_link}" if _has_dashboard() else ""))
        try:
            client.register_plugin(GraderPlugin(isolation))
            futures = {client.submit(grade_submission, job, key=f"grade-{job['assignment']}-{job['student']}-{i}",
                                     pure=False): job for i, job in enumerate(jobs_todo)}
            seen_running = {}
            pending = set(futures)
            while pending:
                finished_now = [future for future in pending if future.done()]
                for future in finished_now:
                    pending.discard(future)
                    finished(futures[future], _result(future, futures[future]))
                if not finished_now:
                    time.sleep(0.2)
                    _give_up_on_slow(client, futures, pending, seen_running, student_timeout, finished)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def _result(future, job):
    from distributed import KilledWorker
    try:
        return future.result()
    except KilledWorker:
        return _failed(job, f"grading this submission ended {ALLOWED_FAILURES} worker process(es); "
                            "it was not graded (re-grade it with --student once the cause is found)")
    except Exception as error:
        return _failed(job, f"the grading task failed: {type(error).__name__}: {error}")


def _give_up_on_slow(client, futures, pending, seen_running, student_timeout, finished):
    """A task running past student_timeout is given up: its worker is restarted, the row says so."""
    now = time.monotonic()
    processing = client.processing()
    for worker, keys in processing.items():
        for key in keys:
            seen_running.setdefault(key, (now, worker))
    for future in list(pending):
        start = seen_running.get(future.key)
        if start and now - start[0] > student_timeout:
            pending.discard(future)
            future.cancel()
            try:
                client.restart_workers([start[1]])
            except Exception:
                pass
            finished(futures[future], _failed(futures[future], f"overloaded: grading stopped after {student_timeout:.0f} s of wall-clock time"))


def _has_dashboard():
    try:
        import bokeh  # noqa: F401
        return True
    except ImportError:
        return False


def run_in_pool(jobs_todo, finished, jobs, scheduler, isolation, student_timeout, say):
    """Grade in a plain process pool of `jobs` processes (for comparison with Dask)."""
    import concurrent.futures
    import multiprocessing

    from .tasks import grade_submission, preload
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=preload) as pool:
        futures = {pool.submit(grade_submission, job): job for job in jobs_todo}
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:
                result = _failed(job, f"the grading task failed: {type(error).__name__}: {error}")
            finished(job, result)


def run_serially(jobs_todo, finished, jobs, scheduler, isolation, student_timeout, say):
    """Grade one submission after the other in this process."""
    from .tasks import grade_submission, preload
    preload()
    for job in jobs_todo:
        try:
            result = grade_submission(job)
        except Exception as error:
            result = _failed(job, f"the grading task failed: {type(error).__name__}: {error}")
        finished(job, result)


if __name__ == "__main__":
    sys.exit(main())
