"""What needs an instructor's look in a submission, recorded in the autograded notebook's metadata.

Preprocessors add flags to nb.metadata["convgrade"]; the driver reads them back into grades.csv.
"""

# status -> what it means (shown on the instructors' page and in the driver's summary)
STATUSES = {
    "ok": "graded normally",
    "missing notebook": "the submission folder has no practice notebook: nothing was graded",
    "corrupt notebook": "the notebook file could not be read (or nests too deeply): graded as an empty notebook "
                        "(0 points)",
    "too large": "past one of the grader's caps: a notebook with too many cells or too much Markdown is graded "
                 "as an empty one (0 points); output past the notebook's cap is dropped (the scores stand)",
    "kernel died": "the student's code ended the kernel: tests after that point scored 0",
    "timed out": "a cell, a tested function or the whole notebook used more than its CPU time (its sandbox's "
                 "own, busy child processes included) and was stopped",
    "grader overloaded; re-grade": "a cell, a tested function or the notebook reached its wall-clock backstop "
                                   "while waiting for a CPU: the grading machine was too busy; grade it again",
    "waited too long": "a cell, a tested function or the notebook waited (sleep, a read that never ends) past "
                       "its wall-clock backstop without computing, and was stopped",
    "tampered": "test or read-only cells were edited, deleted or stripped of metadata: restored, then graded; "
                "or links and special files in the submission folder, never read (a linked notebook scores 0)",
    "suspicious": "a test passed inside the notebook but failed when the grader ran it again on the same inputs: scored 0",
    "needs review": "the answers use something that can get around the rules (sys.setprofile, threads, ctypes, "
                    "torch.ops, importlib, ...): the score stands, but look at the cells named",
    "not re-checked": "a test the grader could not run itself: scored as in the notebook (or 0, by setting)",
    "not isolated": "graded without a sandbox (--no-isolation): the student's code could reach the grader",
    "grader error": "grading failed for a reason outside the notebook: re-grade this student (see the log)",
}


def record(nb, status, detail):
    """Flag the notebook with a status and a one-line detail (each detail once)."""
    assert status in STATUSES, status
    flags = nb.metadata.setdefault("convgrade", {}).setdefault("flags", [])
    entry = {"status": status, "detail": detail}
    if entry not in flags:
        flags.append(entry)


def flags_of(nb):
    return list(nb.get("metadata", {}).get("convgrade", {}).get("flags", []))
