"""Run a test cell's code in the grader, against the student's code in the re-check sandbox.

The test's own code (visible and hidden parts) executes here, in the grader's process, with the
grader's numpy, torch and builtins; the names it takes from the student's notebook resolve to
data copied out of the sandbox or to proxies that call into it (replay.RemoteNamespace). So
`np.allclose = ...`, an input transformer, or a `Mock` returned by a function changes nothing:
the comparison is made here, by code the student never touched.

The verdict becomes the test cell's outputs in the autograded notebook, the way nbgrader reads
them: an error output for a failure; a number as the cell's result for partial credit; the
test's own prints. Messages quote a failing line only when it is a visible one.
"""
import ast
import io
import numbers
import random
import sys
import traceback
from contextlib import redirect_stdout
from dataclasses import dataclass, field

import numpy as np
from nbformat.v4 import new_output

from .replay import CallTimedOut, ForbiddenLibraryError, NotRecheckable, RemoteObject, ReplayGone, call_remote

MAX_PRINTED = 20_000


@dataclass
class Verdict:
    passed: bool
    kind: str = "passed"  # passed, failed, timed out, forbidden, not re-checked, gone
    message: str = ""
    outputs: list = field(default_factory=list)

    @property
    def judged(self):
        """False when the grader could not run the test at all (no verdict on the student's code)."""
        return self.kind not in ("not re-checked", "gone")


class _Bounded(io.StringIO):
    def write(self, text):
        room = MAX_PRINTED - self.tell()
        return super().write(text[:max(room, 0)]) if room > 0 else len(text)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def trusted_helpers(call_seconds):
    """The test helpers' names, bound to the grader's own versions (whatever the notebook defines)."""
    def run_limited(f, *args, **kwargs):
        return call_remote(f, args, kwargs, call_seconds)

    def run_own_code(f, *args, **kwargs):
        # The sandbox has the assignment's forbidden libraries absent or replaced: calling the
        # function there is the check.
        return call_remote(f, args, kwargs, call_seconds)

    def same_shape(value, want):
        if not isinstance(value, (tuple, list)) or len(value) != len(want):
            return False
        return all(isinstance(g, (int, np.integer)) and not isinstance(g, bool) and int(g) == w
                   for g, w in zip(value, want))

    return {"run_limited": run_limited, "run_own_code": run_own_code, "same_shape": same_shape}


def builtins_for_tests(checks_module=None):
    """The builtins of test code: Python's, except that `import checks` gives the assignment's checks
    module (which the grader loaded from source/<assignment>/, never from a writable folder)."""
    import builtins
    table = dict(vars(builtins))
    real_import = builtins.__import__

    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "checks" and level == 0 and checks_module is not None:
            return checks_module
        return real_import(name, globals, locals, fromlist, level)

    table["__import__"] = import_
    return table


def run_test(source, name, namespace, seed, hidden=frozenset(), partial_credit=True):
    """Execute a test's code in `namespace` (a RemoteNamespace); its Verdict."""
    filename = f"<test {name}>"
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        return Verdict(False, "not re-checked", f"the test does not compile: {error}")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    printed = _Bounded()
    seed_everything(seed)
    value = None
    try:
        with redirect_stdout(printed):
            exec(compile(tree, filename, "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), filename, "eval"), namespace)
    except NotRecheckable as error:
        return Verdict(False, "not re-checked", str(error))
    except ReplayGone as error:
        return Verdict(False, "gone", str(error))
    except Exception as error:  # the test failed: say why in words
        kind = "timed out" if isinstance(error, CallTimedOut) else \
            "forbidden" if isinstance(error, ForbiddenLibraryError) else "failed"
        message = _message(error, source, filename, hidden)
        outputs = _printed(printed) + [_error(error, message)]
        return Verdict(False, kind, message, outputs)
    outputs = _printed(printed)
    if value is not None and not isinstance(value, RemoteObject) and partial_credit:
        shown = repr(float(value)) if isinstance(value, numbers.Real) and not isinstance(value, bool) else repr(value)
        outputs.append(new_output("execute_result", data={"text/plain": shown}, execution_count=None))
    return Verdict(True, "passed", "", outputs)


def _printed(buffer):
    text = buffer.getvalue()
    return [new_output("stream", name="stdout", text=text)] if text else []


def _error(error, message):
    ename = type(error).__name__
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


def _message(error, source, filename, hidden):
    """The error's message, plus the test's failing line when the student may see that line."""
    text = str(error).strip()
    if isinstance(error, NotImplementedError) and not text:
        text = "the answer is not written yet (its cell still raises NotImplementedError)"
    line_number = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line_number = frame.lineno
    if line_number is None:
        return text or f"{type(error).__name__} in a check"
    if line_number in hidden:
        return text or "a hidden check of this test failed"
    line = source.splitlines()[line_number - 1].strip()
    return f"{text} (in: {line})" if text else f"this line of the test failed: {line}"


def hidden_lines(source, begin="BEGIN HIDDEN TESTS", end="END HIDDEN TESTS"):
    """1-based numbers of the lines inside hidden regions (markers included)."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if begin in line:
            inside = True
        if inside:
            hidden.add(number)
        if end in line:
            inside = False
    return frozenset(hidden)
