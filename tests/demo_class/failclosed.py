"""Students who go for the rules that used to fail open, the grader's own work, and the submission folder.

- module_shadow: every answer a module (the grader cannot re-check a test that calls one) and
  the kernel's tests rewritten to pass: used to keep the kernel's 26/26 as "not re-checked";
- dilated3d: corr2d through an unlisted PyTorch convolution, reached as getattr(torch, 'o' + 'ps');
- tex_2mb: 2 MB of TeX in a Markdown cell (the MathML conversion took 425 s and 1.9 GB);
- tex_at_cap: TeX just under the Markdown cap: graded, its conversion bounded;
- many_cells: 12,000 cells that print (each under the per-cell output cap);
- output_at_cap: 40 cells that each print just under the per-cell cap (80 MB in all);
- deep_json: a notebook nested 100,000 levels deep (a RecursionError in the grader);
- hardlink_secret / symlink_secret / symlink_checks: a solved notebook beside a link (hard or
  symbolic) to the course secret or the hidden checks, and a cell that prints the file;
- symlink_notebook / hardlink_notebook: the notebook itself a link to the source notebook (the
  solutions, hidden tests included).

The links need write access to submitted/, which only someone on the grading machine has.
`{course}` is replaced by the course folder. EXPECTED: student -> (which tests pass, status).
"""
import ast
import os

import nbformat

from .conv_basics import ASSIGNMENT, CORR2D_TESTS, NOTEBOOK, solutions, solved
from .make_demo_class import ALL, cell_index, fails, new_cell, only, released

SECRET_FILE = ".convgrade_secret"
PRINT_FILE = "print(open({name!r}).read())\n"


def module_shadow():
    """Each answer's names bound to modules (the grader cannot call into one), and a transformer that
    rewrites every later test cell to `pass` in the kernel."""
    nb = released(ASSIGNMENT)
    cheat = ('ip = get_ipython()\nip.input_transformers_post.append(\n'
             '    lambda lines: ["pass\\n"] if any("assert" in l or "checks." in l or "run_" in l for l in lines) '
             'else lines)\n')
    for number, (grade_id, answer) in enumerate(solutions(ASSIGNMENT).items()):
        names = []
        for node in ast.parse(answer).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.append(node.name)
            for target in getattr(node, "targets", []):
                names += [t.id for t in (target.elts if isinstance(target, ast.Tuple) else [target])
                          if isinstance(t, ast.Name)]
        shadow = "import types\n" + "".join(f"{name} = types.ModuleType({name!r})\n" for name in names)
        nb.cells[cell_index(nb, grade_id)].source = (cheat if number == 0 else "") + shadow
    return nb


DILATED3D = '''import torch
def corr2d(X, K):
    ops = getattr(torch, 'o' + 'ps')
    x = torch.as_tensor(np.asarray(X, dtype=float))[None, None, None]
    k = torch.as_tensor(np.asarray(K, dtype=float))[None, None, None]
    kernel = getattr(ops.aten, 'slow_conv_' + 'dilated3d')
    return kernel(x, k, [1, k.shape[-2], k.shape[-1]])[0, 0, 0].numpy()
'''


def dilated3d():
    return solved(corr2d_answer=DILATED3D)


def _with_markdown(text):
    nb = solved()
    nb.cells.insert(cell_index(nb, "corr2d_answer") + 1, nbformat.v4.new_markdown_cell(text))
    nb.cells[cell_index(nb, "corr2d_answer") + 1]["id"] = "my-notes"
    return nb


FORMULA = r"$\frac{\partial L}{\partial w_{ij}} = \sum_{a,b} x_{i+a, j+b} \cdot \delta_{ab}$ "


def tex_2mb():
    return _with_markdown(FORMULA * (2_000_000 // len(FORMULA)))


def tex_at_cap():
    return _with_markdown(FORMULA * (480_000 // len(FORMULA)))  # with the notebook's own 7,500: just under the cap


def many_cells():
    nb = solved()
    for number in range(12_000):
        nb.cells.append(new_cell(f"print({number}, 'x' * 1_900_000)", f"print-{number}"))
    return nb


def output_at_cap():
    nb = solved()
    for number in range(40):
        nb.cells.insert(cell_index(nb, "corr2d_answer") + 1,
                        new_cell(f"print({number}, 'x' * 1_900_000)", f"print-{number}"))
    return nb


def deep_json():
    """Written as text (nbformat could not write it): the solved notebook with nested metadata."""
    text = nbformat.writes(solved())
    depth = 100_000
    return text.replace('"metadata": {', '"metadata": {"notes": ' + "[" * depth + "]" * depth + ", ", 1)


def with_printing_cell(name):
    nb = solved()
    nb.cells.insert(cell_index(nb, "corr2d_answer") + 1, new_cell(
        f"try:\n    {PRINT_FILE.format(name=name).strip()}\nexcept OSError as error:\n    print('no', error)\n",
        "print-planted"))
    return nb


# student -> (how its folder is made, which tests pass, status)
EXPECTED = {
    "module_shadow": (only(), "needs review"),
    "dilated3d": (fails(*CORR2D_TESTS), "ok"),
    "tex_2mb": (only(), "too large"),
    "tex_at_cap": (ALL, "ok"),
    "many_cells": (only(), "too large"),
    "output_at_cap": (ALL, "too large"),
    "deep_json": (only(), "corrupt notebook"),
    "hardlink_secret": (ALL, "tampered"),
    "symlink_secret": (ALL, "tampered"),
    "symlink_checks": (ALL, "tampered"),
    "symlink_notebook": (only(), "tampered"),
    "hardlink_notebook": (only(), "tampered"),
}
NOTEBOOKS = {"module_shadow": module_shadow, "dilated3d": dilated3d, "tex_2mb": tex_2mb, "tex_at_cap": tex_at_cap,
             "many_cells": many_cells, "output_at_cap": output_at_cap}
# planted name -> what it links to, relative to the course
PLANTS = {"hardlink_secret": ("notes.txt", SECRET_FILE, "hard"),
          "symlink_secret": ("notes.txt", SECRET_FILE, "symbolic"),
          "symlink_checks": ("helpers.py", f"source/{ASSIGNMENT}/checks.py", "symbolic"),
          "symlink_notebook": (f"{NOTEBOOK}.ipynb", f"source/{ASSIGNMENT}/{NOTEBOOK}.ipynb", "symbolic"),
          "hardlink_notebook": (f"{NOTEBOOK}.ipynb", f"source/{ASSIGNMENT}/{NOTEBOOK}.ipynb", "hard")}


def write(submitted, course, students=None):
    """Write these students' submissions of conv-basics into submitted/<student>/conv-basics/."""
    written = []
    for student in students or EXPECTED:
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        notebook = folder / f"{NOTEBOOK}.ipynb"
        if student == "deep_json":
            notebook.write_text(deep_json())
        elif student in NOTEBOOKS:
            nbformat.write(NOTEBOOKS[student](), notebook)
        else:
            name, target, kind = PLANTS[student]
            if name != notebook.name:
                nbformat.write(with_printing_cell(name), notebook)
            link = folder / name
            if kind == "hard":
                os.link(course / target, link)
            else:
                os.symlink(course / target, link)
        written.append(student)
    return written
