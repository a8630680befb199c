"""nbgrader configuration for the course (run nbgrader from the repository root).

Grading holds up in front of a class because of extensions from the convgrade engine, all set
here (nbgrader itself is unchanged), for `make grade` and plain `nbgrader autograde` alike:

- isolation: every submission's code runs in bubblewrap sandboxes (kernel.SandboxedKernelManager
  for the notebook's kernel, replay.Replay for the re-check): a private copy of that submission
  only, read-only libraries, no network, no course folder, a non-root uid, memory/process/disk
  limits (c.Isolation.*). Without bubblewrap nothing is graded unless c.Isolation.mode = "none";
- sanitize: a submission's own grading records are dropped (StripIntake), copied cells lose their
  metadata instead of aborting the run (DropDuplicateIds), edited/deleted/relabelled test and
  read-only cells are flagged (RecordTampering) and put back from the gradebook as released
  (RestoreCells): hidden tests never enter the student's kernel; answers that reach for ways
  around the rules are flagged "needs review" (ScanAnswers);
- execution: the kernel is seeded per cell from the submission's key (ResilientExecute), a dead
  kernel no longer discards the submission, output is bounded while it arrives (TidyOutputs caps
  it again);
- the re-check: every test cell runs again in the grader itself, against a fresh sandboxed replay
  of the notebook, on the same inputs; its verdict is the score (VerifyOutsideKernel). What an
  assignment forbids, and the helpers its hidden tests call, are in source/<assignment>/checks.py;
- unreadable notebooks are graded as empty ones, flagged "corrupt notebook", oversized ones (cells,
  Markdown, bytes) "too large", linked ones "tampered" (TolerantNotebookExporter); links and
  special files in a submission folder are never read (convgrade.links);
- markup: a submission's Markdown, raw cells and outputs are cleaned by an allow-list sanitizer
  (nh3) on intake, after execution, for feedback and in formgrader (convgrade.markup); the
  feedback page forbids all script, formgrader's view all but nbgrader's own (convgrade.csp);
- feedback: why a test failed in words, never hidden test code, no script from any host, and
  nothing but the pages in feedback/ (convgrade.feedback);
- grades: `nbgrader export` and `make grade` write the same grades.csv, with a status column;
  no cell of it is a formula a spreadsheet would evaluate (convgrade.printable.spreadsheet_cell);
- output: control characters and invisible format characters from a submission (grade ids, error
  messages, file and student names) are escaped visibly in every log line, warning, summary and
  grades.csv (convgrade.printable), so a submission cannot drive the instructor's terminal.
- collect: `nbgrader zip_collect` takes a student's notebooks only from the files the platform named
  for that student (never from names inside an upload), refuses links and paths out of the folder,
  settles duplicates per student, and dates submissions from the platform's record (convgrade.collect).

See book/instructors.md ("For instructors") and book/new_assignment.md ("Write a new assignment").
"""
import os
import sys

import convgrade.feedback
import convgrade.links
import convgrade.printable

c = get_config()  # noqa: F821 (provided by nbgrader)

# Every log record and warning of this nbgrader process is escaped before any handler writes it
# (a submission's grade ids, file names and error messages reach nbgrader's own log lines).
convgrade.printable.install()

# nbgrader puts the course folder first on sys.path; nothing should ever be imported from there.
_course = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != os.path.realpath(_course)]

# Kernels, graders and the re-check share the cores; PyTorch's OpenMP threads would spin on the
# tiny tensors of the tests and cost about a tenth of the grading time.
os.environ.setdefault("OMP_NUM_THREADS", "1")

c.CourseDirectory.root = _course
# A course id of its own: nbgrader needs one for a PostgreSQL gradebook (its course table), and
# it goes into every seed of the hidden tests' inputs.
c.CourseDirectory.course_id = "convlab"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# An assignment's checks stay with the instructor: never released, never copied next to a submission.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "checks.py",
                            convgrade.links.REFUSED_FOLDER + "*"]
# Links and special files planted in a submission folder are never read: moved aside, unread,
# before nbgrader copies the folder (which follows links); make grade never reads them either.
c.Autograde.pre_convert_hook = convgrade.links.quarantine_links

# CPU seconds per cell, in the kernel and in the re-check: the CPU time of the cell's sandbox
# (busy child processes included), not the clock, so that a grade does not depend on what else
# the machine runs (a correct notebook needs well under 1 s per cell; a tested function gets
# CALL_SECONDS of CPU time, see source/<assignment>/checks.py). Per notebook, and the wall-clock
# backstops that give "grader overloaded; re-grade" or "waited too long": c.Budget.* (convgrade/budget.py).
c.Execute.timeout = 10
c.Execute.startup_timeout = 120  # two graders starting kernels on a busy 2-core machine
c.Execute.shutdown_kernel = "immediate"  # a graceful shutdown costs seconds per student

# The sandboxes (see convgrade/isolation.py for every limit).
c.Isolation.mode = "bubblewrap"

c.Autograde.exporter_class = "convgrade.exporter.TolerantNotebookExporter"
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "convgrade.sanitize.StripIntake",
    "convgrade.sanitize.ScreenGradeIds",
    "convgrade.sanitize.DropDuplicateIds",
    "convgrade.sanitize.RecordTampering",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "convgrade.sanitize.RestoreCells",
    "convgrade.scan.ScanAnswers",
    "convgrade.markup.SanitizeMarkup",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "convgrade.execution.ResilientExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "convgrade.execution.TidyOutputs",
    "convgrade.verify.VerifyOutsideKernel",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    # after the scores are saved (they read the outputs as nbgrader always did), before the
    # notebook is written for formgrader and feedback
    "convgrade.markup.SanitizeMarkup",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.LimitOutput.max_lines = 200
# A test cell the grader cannot run itself: "flag" (status "not re-checked", kernel result) or "zero".
c.VerifyOutsideKernel.unverified = "flag"

c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "convgrade.feedback.HideHiddenTests",
    "convgrade.feedback.MathToMathML",
    "convgrade.markup.SanitizeMarkup",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.post_convert_hook = convgrade.feedback.only_html(_course, "feedback")
# The feedback page has an exporter (and so a configuration section) of its own: what is set for
# HTMLExporter reaches formgrader too, whose view of a submission must stay formgrader's page.
c.GenerateFeedback.exporter_class = "convgrade.feedback.FeedbackExporter"
c.FeedbackExporter.template_name = "feedback"  # convgrade's page of that name (the API asks for "feedback")
c.FeedbackExporter.extra_template_basedirs = [convgrade.feedback.TEMPLATES]
c.FeedbackExporter.preprocessors = []  # GenerateFeedback.preprocessors above, not formgrader's below

# Formgrader's view of a submission: nbgrader's page with a Content-Security-Policy (only nbgrader's
# own script runs, convgrade.csp), the notebook cleaned again as it is shown (a notebook autograded
# before this configuration, too) and its math as MathML (the policy refuses MathJax from a CDN).
c.HTMLExporter.template_name = "formgrade_csp"
c.HTMLExporter.extra_template_basedirs = [convgrade.feedback.TEMPLATES, convgrade.feedback.FORMGRADER_TEMPLATES]
c.HTMLExporter.extra_template_paths = [convgrade.feedback.FORMGRADER_TEMPLATES]
c.HTMLExporter.filters = {"with_csp": "convgrade.csp.with_csp"}
c.HTMLExporter.preprocessors = ["convgrade.feedback.MathToMathML", "convgrade.markup.SanitizeMarkup"]

# nbgrader zip_collect ASSIGNMENT: Canvas's "Download Submissions" zip in downloaded/ASSIGNMENT/archive/
# (files named <student>_[LATE_]<user id>_<attachment id>_<file>[-<n>].ipynb), and, to date the
# submissions, Canvas's Submissions API list saved as downloaded/ASSIGNMENT/submissions.json. The
# student is read from Canvas's name of each file only, never from names inside an upload; see
# convgrade/collect.py (c.CanvasExtractor.* for another platform's names, or to tell users apart).
c.ZipCollectApp.extractor_plugin = "convgrade.collect.CanvasExtractor"
c.ZipCollectApp.collector_plugin = "convgrade.collect.CanvasCollector"

# nbgrader export writes grades.csv with nbgrader's columns plus status and details (the same file
# `make grade` writes).
c.ExportApp.plugin_class = "convgrade.export.StatusCsvExportPlugin"
