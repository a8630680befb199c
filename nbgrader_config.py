"""nbgrader configuration for the course (run nbgrader from the repository root).

The graded practice is meant to hold up under what a real class hands in, so autograde runs with
a few extensions from src/convgrade (configured here; nbgrader itself is unchanged):

- sanitize: copied cells lose their metadata instead of aborting the run (DropDuplicateIds),
  edited/deleted/relabelled test and read-only cells are flagged (RecordTampering) and put back
  from the gradebook in source order (RestoreCells);
- execution: a kernel that dies no longer discards the submission (ResilientExecute); a warning
  on stderr no longer zeroes a passing test and huge outputs are cut (TidyOutputs);
- the check the student's code cannot reach: every graded behaviour is re-checked with fresh
  random inputs in a fresh process, compared in the grader; a test keeps its points only if it
  passed in the kernel and there (VerifyOutsideKernel);
- unreadable notebooks are graded as empty ones, flagged "corrupt notebook" (TolerantNotebookExporter);
- feedback shows why a test failed, never the hidden test code (HideHiddenTests).

`make grade` (tools/grade.py) runs the whole workflow in parallel; plain `nbgrader autograde
conv-basics` with this file grades everyone too, one student after the other.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

# Kernels, graders and the re-check share the cores; PyTorch's OpenMP threads would spin on the
# tiny tensors of the tests and cost about a tenth of the grading time. (Inherited by the kernels.)
os.environ.setdefault("OMP_NUM_THREADS", "1")

c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# Seconds per cell, in the kernel and in the re-check (a correct notebook needs well under 1 s
# per cell; the tests themselves stop a function after 5 s).
c.Execute.timeout = 10
c.Execute.startup_timeout = 120  # two graders starting kernels on a busy 2-core machine
c.Execute.shutdown_kernel = "immediate"  # a graceful shutdown costs seconds per student

c.Autograde.exporter_class = "convgrade.exporter.TolerantNotebookExporter"
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "convgrade.sanitize.DropDuplicateIds",
    "convgrade.sanitize.RecordTampering",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "convgrade.sanitize.RestoreCells",
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
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.LimitOutput.max_lines = 200

c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "convgrade.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
