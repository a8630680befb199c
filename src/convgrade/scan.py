"""A static look at the student's cells for ways around the rules, flagged for the instructor.

The rules are enforced from outside (the re-check's sandbox has forbidden libraries absent or
replaced, and the grader judges every test itself), so nothing here changes a score. What it
does is tell the instructor where a notebook reaches for the machinery a cheat would need:
profilers and tracers, threads and processes, ctypes, torch's operator tables, import tricks,
the garbage collector, the kernel's input transformers, or rebinding a library's functions.
The notebook gets the status "needs review", with the cells and what was found.
"""
import ast
import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

from . import status

# Modules (and their parts) that count only when the cell imports them: (dotted prefix, why).
SUSPECT_MODULES = [
    ("sys.setprofile", "switches profilers"), ("sys.settrace", "switches tracers"),
    ("sys.modules", "import tricks"), ("sys.meta_path", "import tricks"), ("sys._getframe", "frames"),
    ("threading", "threads"), ("_thread", "threads"), ("concurrent", "threads"),
    ("multiprocessing", "processes"), ("subprocess", "processes"), ("os.system", "processes"),
    ("os.fork", "processes"), ("os.kill", "signals"), ("signal", "signals"), ("ctypes", "ctypes"),
    ("cffi", "cffi"), ("torch.ops", "torch's operator table"), ("torch._C", "torch's C internals"),
    ("torch.library", "torch's operator registry"), ("importlib", "import tricks"),
    ("gc", "the garbage collector"), ("inspect", "frames"), ("builtins", "the builtins"),
]
# Names that count wherever they appear (attributes of anything, or builtins).
SUSPECT_WORDS = [
    ("__import__", "import tricks"), ("__builtins__", "the builtins"), ("__globals__", "frames"),
    ("__code__", "rewriting functions"), ("f_globals", "frames"), ("f_back", "frames"),
    ("input_transformers", "the kernel's input transformers"),
    ("ast_transformers", "the kernel's input transformers"), ("setprofile", "switches profilers"),
    ("settrace", "switches tracers"),
]


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(f"{_dotted(node.func) or '?'}()")
    else:
        return None
    return ".".join(reversed(parts))


def findings(source, modules=SUSPECT_MODULES, words=SUSPECT_WORDS):
    """[(what, why)] for one cell's code."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return []
    imported, found = {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
                found += _match(alias.name, modules)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                found += _match(f"{node.module}.{alias.name}", modules)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            dotted = _dotted(node)
            head, _, rest = (dotted or "").partition(".")
            if head in imported:
                found += _match(imported[head] + (f".{rest}" if rest else ""), modules)
            last = node.attr if isinstance(node, ast.Attribute) else node.id
            found += [(dotted, why) for word, why in words if word in last]
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                dotted = _dotted(target) if isinstance(target, ast.Attribute) else None
                if dotted and dotted.split(".")[0] in imported:
                    found.append((dotted, "rebinds a library's name"))
    first = {}
    for what, why in found:  # the outermost name per reason (ast.walk meets it first)
        first.setdefault(why, what)
    return [(what, why) for why, what in first.items()]


def _match(dotted, modules):
    return [(dotted, why) for name, why in modules if dotted == name or dotted.startswith(name + ".")]


def _strip_magics(source):
    return re.sub(r"(?m)^\s*[%!].*$", "", source)


class ScanAnswers(NbGraderPreprocessor):
    """Flag "needs review" when the student's cells reach for machinery that gets around the rules."""

    ignore = List(Unicode(), help="dotted names not to report (e.g. 'inspect')").tag(config=True)

    def preprocess(self, nb, resources):
        reports = []
        modules = [(n, why) for n, why in SUSPECT_MODULES if n not in self.ignore]
        words = [(n, why) for n, why in SUSPECT_WORDS if n not in self.ignore]
        for number, cell in enumerate(nb.cells, start=1):
            if cell.cell_type != "code" or (utils.is_locked(cell) and not utils.is_solution(cell)):
                continue
            where = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {number}"
            for what, why in findings(cell.source, modules, words):
                reports.append(f"{where}: {what} ({why})")
        if reports:
            status.record(nb, "needs review", "; ".join(reports[:12]))
        return nb, resources
