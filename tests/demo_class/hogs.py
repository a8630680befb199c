"""Students who spend the grader's time instead of solving conv-basics (for test_grading_fairness.py).

- cpu_hog: full marks, then a last cell that forks 12 busy processes, each in a session of its
  own (setsid: the host's per-session scheduling no longer groups them), and waits for them. Graded
  beside honest classmates, it must not change their rows, and earns no more than its honest part.
- sleeper: cells that only sleep, far longer together than a notebook may take, then full marks:
  stopped while sleeping, its tests never run (a sleeping notebook is stopped the same way on a
  quiet machine and a busy one).

EXPECTED says what each earns (its tests pass before its last cells run, in the kernel and in the
re-check) and its status.
"""
import nbformat

from .conv_basics import ASSIGNMENT, NOTEBOOK, solved
from .make_demo_class import ALL, new_cell, only

HOG = '''import os
kids = []
for _ in range(12):
    pid = os.fork()
    if pid == 0:
        os.setsid()  # a session of its own: the host's autogroup scheduling no longer holds it
        while True:
            pass
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
'''
SLEEP_SECONDS, SLEEPS = 5, 30  # 150 s of sleeping, one cell at a time


def cpu_hog():
    nb = solved()
    nb.cells.append(new_cell(HOG, "hog"))
    return nb


def sleeper():
    nb = solved()
    nb.cells[:0] = [new_cell(f"import time\ntime.sleep({SLEEP_SECONDS})", f"sleep-{n}") for n in range(SLEEPS)]
    return nb


EXPECTED = {
    # its last cell spent the cell's CPU budget; os.fork in an answer is for an instructor's look
    # (and on a busy machine the interrupted kernel may not answer in time, and is ended: "kernel died")
    "cpu_hog": (ALL, "timed out; needs review"),
    "sleeper": (only(), "waited too long"),  # stopped at the notebook's wall-clock backstop
}
KINDS = {"cpu_hog": cpu_hog, "sleeper": sleeper}


def write(submitted, students):
    """Write these students' submissions into submitted/<student>/conv-basics/."""
    for student in students:
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(KINDS[student](), folder / f"{NOTEBOOK}.ipynb")
