"""Where a submission stands: its files, its flags, its score, and grades.csv for the whole class.

Scores come from nbgrader's gradebook; statuses from the flags the preprocessors left in each
autograded notebook, or from the driver's record when there is no autograded notebook (missing
notebook, worker killed, grader error). Every folder in submitted/ gets a row.
"""
import csv
import json
import os
import pathlib

from . import status

COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "details"]


def _folder(course, config, kind):
    return pathlib.Path(course) / config.CourseDirectory.get(f"{kind}_directory", kind)


def assignments(course, config):
    source = _folder(course, config, "source")
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def students(course, config):
    submitted = _folder(course, config, "submitted")
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if p.is_dir() and not p.name.startswith("."))


def notebook_names(course, config, assignment):
    return sorted(p.stem for p in (_folder(course, config, "source") / assignment).glob("*.ipynb"))


def missing_notebooks(course, config, student, assignment):
    """'' if every notebook of the assignment was submitted, else what is missing and what is there."""
    folder = _folder(course, config, "submitted") / student / assignment
    missing = [f"{name}.ipynb" for name in notebook_names(course, config, assignment)
               if not (folder / f"{name}.ipynb").is_file()]
    if not missing:
        return ""
    found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return f"no {', '.join(missing)} in {folder.relative_to(course)} (found: {', '.join(found) or 'nothing'})"


LOG_FOLDER = ".logs"  # autograded/.logs/<assignment>/<student>.log: nbgrader's "*" globs skip dot folders


def log_path(course, config, student, assignment, suffix):
    path = _folder(course, config, "autograded") / LOG_FOLDER / assignment / f"{student}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def discard_results(course, config, student, assignment):
    """Remove what a grading run that did not finish left behind (a half-written autograded notebook)."""
    import shutil
    for kind in ("autograded", "feedback"):
        shutil.rmtree(_folder(course, config, kind) / student / assignment, ignore_errors=True)


def write_record(course, config, student, assignment, state, detail):
    log_path(course, config, student, assignment, ".json").write_text(
        json.dumps({"status": state, "detail": detail}) + "\n")


def clear_record(course, config, student, assignment):
    path = log_path(course, config, student, assignment, ".json")
    if path.exists():
        path.unlink()


def _read(path):
    """An autograded notebook, without nbformat's warnings about what the student did to it."""
    import warnings

    import nbformat
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.read(path, as_version=4)


def _autograded_notebooks(course, config, student, assignment):
    folder = _folder(course, config, "autograded") / student / assignment
    return [folder / f"{name}.ipynb" for name in notebook_names(course, config, assignment)]


def flags(course, config, student, assignment):
    """[(status, detail)] for one submission, from the driver's record or the autograded notebooks."""
    record = log_path(course, config, student, assignment, ".json")
    if record.exists():
        data = json.loads(record.read_text())
        return [(data["status"], data["detail"])]
    missing = missing_notebooks(course, config, student, assignment)
    if missing:
        return [("missing notebook", missing)]
    found = []
    for path in _autograded_notebooks(course, config, student, assignment):
        if not path.exists():
            return [("grader error", f"no autograded notebook {path.relative_to(course)}")]
        found += [(f["status"], f["detail"]) for f in status.flags_of(_read(path))]
    return found


def status_of(found):
    """The status column: the flags in the order of status.STATUSES, or 'ok'."""
    states = {state for state, _ in found}
    return "; ".join(s for s in status.STATUSES if s in states) or "ok"


def notebook_score(course, config, student, assignment):
    """(score, max) computed from the autograded notebooks as nbgrader's SaveAutoGrades does."""
    from nbgrader import utils
    score = total = 0.0
    for path in _autograded_notebooks(course, config, student, assignment):
        if not path.exists():
            return None, None
        for cell in _read(path).cells:
            if utils.is_grade(cell):
                earned, points = utils.determine_grade(cell)
                score, total = score + (earned or 0.0), total + points
    return score, total


def progress_line(course, config, student, assignment, done, total, seconds):
    score, points = notebook_score(course, config, student, assignment)
    shown = "  -  " if score is None else f"{score:4.1f} / {points:g}"
    state = status_of(flags(course, config, student, assignment))
    return f"[{done:>3}/{total}] {seconds:5.1f} s  {student:<24} {assignment:<14} {shown:>11}  {state}"


def build_rows(course, config, assignment_names, student_names):
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory
    coursedir = CourseDirectory(config=config)
    rows = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for assignment in assignment_names:
            max_score = gb.find_assignment(assignment).max_score
            for student in student_names:
                found = flags(course, config, student, assignment)
                try:
                    score = gb.find_submission(assignment, student).score
                except MissingEntry:
                    score = 0.0
                rows.append({"student_id": student, "assignment": assignment, "score": round(score, 2),
                             "max_score": max_score, "status": status_of(found),
                             "details": " | ".join(detail for _, detail in found)})
    return rows


def write_csv(course, rows, name="grades.csv"):
    path = pathlib.Path(course) / name
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def summary(rows, path, seconds):
    look = [r for r in rows if r["status"] != "ok"]
    lines = [f"Graded {len(rows)} submission(s) in {seconds:.0f} s; grades in {path}"]
    if look:
        lines.append(f"{len(look)} need a look:")
        lines += [f"  {r['student_id']:<24} {r['assignment']:<14} {r['status']}: {r['details']}" for r in look]
    feedback = os.path.join(os.path.dirname(path), "feedback")
    lines.append(f"Feedback pages: {feedback}/<student>/<assignment>/")
    return "\n".join(lines)
