"""grades.csv with a status column, written by `nbgrader export` itself (c.ExportApp.plugin_class).

StatusCsvExportPlugin is nbgrader's CSV export (the same columns) plus `status` and `details`,
read from the grader's own records (report.flags), so `nbgrader export` and `make grade` write the
same file, row for row, and neither destroys what the other wrote. Rows are sorted (assignment,
student), and nothing in them depends on when or where grading ran.

Every text cell is written through printable.spreadsheet_cell (control characters escaped, a
leading formula character neutralised); the numeric columns are numbers the grader formats. A
details cell starts with the grader's own words (the first flag's sentence), never with a name or
an id a submission chose.
"""
import csv
import os

from nbgrader.api import MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins.export import CsvExportPlugin

from . import report
from .printable import spreadsheet_cell

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "status", "details"]
NUMBERS = {"raw_score", "late_submission_penalty", "score", "max_score"}  # written by _number only


def rows(gradebook, coursedir, assignments=(), students=()):
    """One row per (assignment, student) for every student in the gradebook or with a folder in
    submitted/ (only those asked for, if any): a folder with nothing gradable in it still gets its
    row, even when plain nbgrader autograde skipped it and never registered the student."""
    found = []
    people = {s.id: s for s in gradebook.students}
    for name in report.students(coursedir):
        people.setdefault(name, None)
    for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
        if assignments and assignment.name not in assignments:
            continue
        for student_id in sorted(people):
            student = people[student_id]
            if students and student_id not in students:
                continue
            row = {"assignment": assignment.name, "duedate": assignment.duedate or "", "student_id": student_id,
                   "last_name": getattr(student, "last_name", None) or "",
                   "first_name": getattr(student, "first_name", None) or "",
                   "email": getattr(student, "email", None) or "", "max_score": _number(assignment.max_score)}
            try:
                submission = gradebook.find_submission(assignment.name, student_id)
            except MissingEntry:
                row.update(timestamp="", raw_score=_number(0), late_submission_penalty=_number(0), score=_number(0))
            else:
                penalty = submission.late_submission_penalty or 0.0
                row.update(timestamp=submission.timestamp or "", raw_score=_number(submission.score),
                           late_submission_penalty=_number(penalty),
                           score=_number(max(0.0, submission.score - penalty)))
            flags = report.flags(coursedir, student_id, assignment.name)
            row["status"] = report.status_of(flags)
            row["details"] = " | ".join(detail for _, detail in flags)
            found.append(row)
    return found


def _number(value):
    return f"{round(float(value), 4):g}"


def write(path, found):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        # rows end in a line feed alone: a carriage return is a terminal control like any other
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_cells(row) for row in found)
    return path


def _cells(row):
    """A row as written: numbers as the grader formatted them, every other cell safe to open."""
    cells = {}
    for column in COLUMNS:
        value = row.get(column, "")
        if column in NUMBERS:
            float(value)  # a number, or this is a bug in rows(): fail loudly rather than write it
            cells[column] = value
        else:
            cells[column] = spreadsheet_cell("" if value is None else value)
    return cells


class StatusCsvExportPlugin(CsvExportPlugin):
    """nbgrader's CSV export plus the grader's status and details columns."""

    def export(self, gradebook):
        coursedir = CourseDirectory(config=self.config)
        dest = self.to or os.path.join(coursedir.root, "grades.csv")
        found = rows(gradebook, coursedir, [str(a) for a in self.assignment], [str(s) for s in self.student])
        self.log.info("Exporting grades (with statuses) to %s", dest)
        write(dest, found)
