"""Where a submission stands: its files, its flags, its score; read the same way by every command.

Scores come from nbgrader's gradebook; statuses from the flags the preprocessors left in each
autograded notebook, or from the driver's record when there is no autograded notebook (missing
notebook, a grading process that died, a timeout). Records are read without following links and
only from regular files, so nothing placed there (a FIFO, a link to elsewhere) can block or fool
the reader; student code cannot reach these folders anyway.
"""
import json
import os
import pathlib
import shutil
import stat
import warnings

from . import status
from .printable import printable

LOG_FOLDER = ".logs"  # autograded/.logs/<assignment>/<student>.json: nbgrader's "*" globs skip dot folders
MAX_RECORD = 1 << 20


def folder(coursedir, kind):
    return pathlib.Path(coursedir.root) / getattr(coursedir, f"{kind}_directory")


def assignments(coursedir):
    source = folder(coursedir, "source")
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def students(coursedir):
    submitted = folder(coursedir, "submitted")
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir()
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def notebook_names(coursedir, assignment):
    return sorted(p.stem for p in (folder(coursedir, "source") / assignment).glob("*.ipynb"))


def missing_notebooks(coursedir, student, assignment):
    """'' if every notebook of the assignment was submitted, else what is missing and what is there."""
    where = folder(coursedir, "submitted") / student / assignment
    missing = [f"{name}.ipynb" for name in notebook_names(coursedir, assignment)
               if not (where / f"{name}.ipynb").is_file()]
    if not missing:
        return ""
    found = sorted(p.name for p in where.iterdir())[:20] if where.is_dir() else []
    shown = os.path.relpath(where, coursedir.root)
    return f"no {', '.join(missing)} in {shown} (found: {', '.join(found) or 'nothing'})"


def log_path(coursedir, student, assignment, suffix):
    path = folder(coursedir, "autograded") / LOG_FOLDER / assignment / f"{student}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def discard_results(coursedir, student, assignment):
    """Remove what a grading run that did not finish left behind (a half-written autograded notebook)."""
    for kind in ("autograded", "feedback"):
        shutil.rmtree(folder(coursedir, kind) / student / assignment, ignore_errors=True)


def write_record(coursedir, student, assignment, state, detail):
    path = log_path(coursedir, student, assignment, ".json")
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps({"status": state, "detail": detail}) + "\n")
    os.replace(temporary, path)


def clear_record(coursedir, student, assignment):
    path = log_path(coursedir, student, assignment, ".json")
    if path.exists() or path.is_symlink():
        path.unlink()


def read_regular(path, limit=MAX_RECORD):
    """The bytes of a regular file, without following a link or waiting on a FIFO; None if not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return handle.read(limit)


def _read_notebook(path):
    import nbformat
    data = read_regular(path, 256 << 20)
    if data is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.reads(data.decode("utf-8"), as_version=4)


def _autograded_notebooks(coursedir, student, assignment):
    where = folder(coursedir, "autograded") / student / assignment
    return [where / f"{name}.ipynb" for name in notebook_names(coursedir, assignment)]


def flags(coursedir, student, assignment):
    """[(status, detail)] for one submission, from the driver's record or the autograded notebooks."""
    record = read_regular(log_path(coursedir, student, assignment, ".json"))
    if record is not None:
        try:
            data = json.loads(record)
            if data.get("status") in status.STATUSES:
                return [(data["status"], str(data.get("detail", "")))]
        except (ValueError, AttributeError):
            pass
        return [("grader error", "the grading record could not be read: re-grade this student")]
    missing = missing_notebooks(coursedir, student, assignment)
    if missing:
        return [("missing notebook", missing)]
    found = []
    for path in _autograded_notebooks(coursedir, student, assignment):
        nb = _read_notebook(path)
        if nb is None:
            return [("grader error", f"no autograded notebook {os.path.relpath(path, coursedir.root)}")]
        found += [(f["status"], f["detail"]) for f in status.flags_of(nb) if f.get("status") in status.STATUSES]
    return found


def status_of(found):
    """The status column: the flags in the order of status.STATUSES, or 'ok'."""
    states = {state for state, _ in found}
    return "; ".join(s for s in status.STATUSES if s in states) or "ok"


def notebook_score(coursedir, student, assignment):
    """(score, max) computed from the autograded notebooks as nbgrader's SaveAutoGrades does."""
    from nbgrader import utils
    score = total = 0.0
    for path in _autograded_notebooks(coursedir, student, assignment):
        nb = _read_notebook(path)
        if nb is None:
            return None, None
        for cell in nb.cells:
            if utils.is_grade(cell):
                earned, points = utils.determine_grade(cell)
                score, total = score + (earned or 0.0), total + points
    return score, total


def progress_line(coursedir, student, assignment, done, total, seconds):
    score, points = notebook_score(coursedir, student, assignment)
    shown = "  -  " if score is None else f"{score:4.1f} / {points:g}"
    state = status_of(flags(coursedir, student, assignment))
    student, assignment = printable(student), printable(assignment)  # a student id is a folder name
    return f"[{done:>3}/{total}] {seconds:5.1f} s  {student:<24} {assignment:<14} {shown:>11}  {state}"


def summary(rows, path, seconds, graded):
    """What `make grade` prints at the end; every field escaped (a detail quotes ids and file names)."""
    look = [{key: printable(value) for key, value in r.items()} for r in rows if r["status"] != "ok"]
    lines = [f"Graded {graded} submission(s) in {seconds:.0f} s; {len(rows)} row(s) in {printable(path)}"]
    if look:
        lines.append(f"{len(look)} need a look:")
        lines += [f"  {r['student_id']:<24} {r['assignment']:<14} {r['status']}: {r['details']}" for r in look]
    feedback = printable(os.path.join(os.path.dirname(path), "feedback"))
    lines.append(f"Feedback pages: {feedback}/<student>/<assignment>/")
    return "\n".join(lines)
