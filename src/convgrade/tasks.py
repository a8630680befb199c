"""One grading task: a (student, assignment) graded on a worker that shares no folder with the course.

`grade_submission(job)` is what `make grade` sends to a Dask worker (or runs in a local process).
Its input is data: the course's nbgrader_config.py, the assignment's source folder, the student's
submitted files, the gradebook (a SQLite template with the assignment's cells, or the URL of the
course's PostgreSQL gradebook) and the submission's seed key. It grades with nbgrader's own
autograde and generate_feedback in a temporary course folder on the worker, with every safeguard
of nbgrader_config.py, and returns data: the autograded notebooks, the feedback pages, the log.
The client writes them into the course (driver.py); a worker never touches the course folder.

`GraderPlugin` prepares each worker once: it imports nbgrader and the oracle (torch) so that
every task starts warm, and checks that the sandbox works there before any task arrives.
"""
import os
import pathlib
import shutil
import tempfile
import time

from distributed import WorkerPlugin

MAX_SUBMISSION_BYTES = 64 << 20


def read_tree(folder, follow_links=False, limit=MAX_SUBMISSION_BYTES):
    """{relative path: bytes} of the regular files under folder, up to `limit` bytes in all.
    Links are followed only when asked (an assignment's source may link a shared helper file)."""
    folder = pathlib.Path(folder)
    files, total = {}, 0
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        if ".ipynb_checkpoints" in path.parts or "__pycache__" in path.parts:
            continue
        if path.is_symlink() and not follow_links or not path.is_file():
            continue
        size = path.stat().st_size
        if total + size > limit:
            continue
        total += size
        files[str(path.relative_to(folder))] = path.read_bytes()
    return files


def read_submission(folder, limit=MAX_SUBMISSION_BYTES):
    """({relative path: bytes}, {relative path: why not read}) of a submission folder: regular files
    with a single link only (links.py), nothing nbgrader would ignore."""
    from . import links
    return links.read_regular_tree(folder, skip=(".ipynb_checkpoints", "__pycache__", links.REFUSED_FOLDER),
                                   limit=limit)


def write_tree(folder, files):
    folder = pathlib.Path(folder)
    for name, data in files.items():
        target = (folder / name).resolve()
        if not target.is_relative_to(folder.resolve()):
            raise ValueError(f"a file name leaves its folder: {name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def grade_submission(job):
    """Grade one submission in a temporary course; return its results as data."""
    started = time.monotonic()
    student, assignment = job["student"], job["assignment"]
    with tempfile.TemporaryDirectory(prefix="convgrade-task-") as course:
        course = pathlib.Path(course)
        (course / "nbgrader_config.py").write_text(job["config"])
        write_tree(course / job["dirs"]["source"] / assignment, job["source"])
        refused = job.get("refused") or {}
        # A refused notebook is still graded (as an empty one, flagged): nbgrader needs a file of that name.
        placeholders = {name: b"" for name in refused if name.endswith(".ipynb") and "/" not in name}
        write_tree(course / job["dirs"]["submitted"] / student / assignment, {**job["submission"], **placeholders})
        if job.get("gradebook") is not None:
            (course / "gradebook.db").write_bytes(job["gradebook"])
        from traitlets.config import Config

        from .driver import load_config
        config = load_config(course)
        overrides = Config()
        overrides.Seeds.key = job["key"]
        overrides.CourseDirectory.db_url = job.get("db_url") or f"sqlite:///{course / 'gradebook.db'}"
        if job.get("course_id") is not None:
            overrides.CourseDirectory.course_id = job["course_id"]
        overrides.TolerantNotebookExporter.refused = dict(refused)
        if job.get("isolation"):
            overrides.Isolation.mode = job["isolation"]
        config.merge(overrides)
        outcome = _grade(config, student, assignment)
        autograded = course / job["dirs"]["autograded"] / student / assignment
        feedback = course / job["dirs"]["feedback"] / student / assignment
        outcome.update(
            student=student, assignment=assignment,
            autograded={p.name: p.read_bytes() for p in sorted(autograded.glob("*.ipynb"))},
            feedback={p.name: p.read_bytes() for p in sorted(feedback.glob("*.html"))},
            timestamp=_timestamp(course / job["dirs"]["submitted"] / student / assignment),
            seconds=time.monotonic() - started, worker=os.getpid())
    return outcome


def _grade(config, student, assignment):
    import warnings

    from nbgrader.apps import NbGraderAPI
    from sqlalchemy.exc import SAWarning
    from .printable import install, printable
    install()  # nbgrader's log lines, as captured into the log below, are escaped record by record
    api = NbGraderAPI(config=config)
    log = []
    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own session use, harmless
    try:
        graded = api.autograde(assignment, student, force=True, create=True)
        log += [graded.get("log", ""), printable(graded.get("error", ""), newlines=True)]
        if not graded["success"]:
            return {"problem": "nbgrader autograde failed", "log": "\n".join(log)}
        feedback = api.generate_feedback(assignment, student, force=True)
        log += [feedback.get("log", ""), printable(feedback.get("error", ""), newlines=True)]
        if not feedback["success"]:
            return {"problem": "nbgrader generate_feedback failed", "log": "\n".join(log)}
    except Exception:
        import traceback
        return {"problem": "the grader raised an exception",
                "log": "\n".join(log + [printable(traceback.format_exc(), newlines=True)])}
    return {"problem": "", "log": "\n".join(part for part in log if part)}


def _timestamp(folder):
    path = pathlib.Path(folder) / "timestamp.txt"
    return path.read_text().strip() if path.is_file() else None


def preload():
    """What every grading task needs, imported once per process."""
    import nbconvert.exporters  # noqa: F401
    import nbgrader.apps  # noqa: F401
    import torch  # noqa: F401  (the oracle of the checks)

    from . import execution, exporter, feedback, markup, printable, sanitize, scan, verify  # noqa: F401
    printable.install()  # every log line of this worker process (Dask's included) escaped
    torch.set_num_threads(1)


class GraderPlugin(WorkerPlugin):
    """Set up a Dask worker for grading, once: warm imports, and a sandbox that is known to work."""

    name = "convgrade"

    def __init__(self, isolation="bubblewrap"):
        self.isolation = isolation

    def setup(self, worker):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        preload()
        if self.isolation == "bubblewrap":
            from .isolation import Isolation
            Isolation().check()
        shutil.rmtree(os.path.join(tempfile.gettempdir(), "convgrade-task-leftovers"), ignore_errors=True)
