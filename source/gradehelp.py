"""Helpers for the graded practice notebooks' visible tests (you do not need to read this file).

run_own_code(f, *args)  call f, but fail if it used a library convolution or pooling (convlab,
                        PyTorch's conv and pooling functions or nn.Conv2d, scipy.signal,
                        scipy.ndimage): these exercises ask for your own code.
run_limited(f, *args)   call f, but stop it with TimeLimitExceeded after a few seconds (an endless loop?).
same_shape(value, want) value is a shape (a tuple or list of ints) equal to want.

They only watch the call; they change nothing in numpy, torch or your namespace. When your
notebook is graded, the grader runs the same tests with its own copy of these helpers, outside
your notebook's Python process.
"""
import fnmatch
import os
import signal
import sys
import threading
import time

CALL_SECONDS = 3  # the practice's functions need milliseconds; a loop that never ends needs this
# Python code under these folders counts as a library convolution.
_FORBIDDEN_FOLDERS = {
    os.sep + "convlab" + os.sep: "convlab",
    os.sep + os.path.join("scipy", "signal") + os.sep: "scipy.signal",
    os.sep + os.path.join("scipy", "ndimage") + os.sep: "scipy.ndimage",
    os.sep + os.path.join("torch", "nn", "modules", "conv.py"): "torch.nn.Conv2d",
    os.sep + os.path.join("torch", "nn", "modules", "pooling.py"): "torch.nn pooling",
}
# PyTorch's convolutions and pooling are C functions (torch.conv2d is torch.nn.functional.conv2d)
# or operators reached through torch.ops: every one whose name matches these patterns, the same
# families the grader refuses (FORBIDDEN_TORCH_OPS in the assignment's hidden checks).
_FORBIDDEN_TORCH_PATTERNS = ("*conv*", "*pool*")


class TimeLimitExceeded(BaseException):
    """A call ran past its time limit (a BaseException, so `except Exception` cannot swallow it)."""


class ForbiddenLibraryError(RuntimeError):
    """The function under test used a library convolution instead of your own code."""


def _library_called(event, frame, arg):
    """The library a profiler event belongs to, or None."""
    if event == "call":
        filename = frame.f_code.co_filename
        for folder, library in _FORBIDDEN_FOLDERS.items():
            if folder in filename:
                return library
        operator = frame.f_locals.get("self") if frame.f_code.co_name == "__call__" else None
        name = getattr(operator, "_qualified_op_name", None) or getattr(getattr(operator, "_overloadpacket", None),
                                                                       "_qualified_op_name", None)
        if isinstance(name, str) and _forbidden_torch_name(name.split("::")[-1]):  # torch.ops.<namespace>.<name>
            return "torch.ops." + name.replace("::", ".")
    elif event == "c_call":
        name = getattr(arg, "__name__", "")
        if _forbidden_torch_name(name) and str(getattr(arg, "__module__", None)).startswith("torch"):
            return "torch." + name
    return None


def _forbidden_torch_name(name):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in _FORBIDDEN_TORCH_PATTERNS)


def run_own_code(f, *args, seconds=CALL_SECONDS, **kwargs):
    """f(*args, **kwargs) within the time limit; ForbiddenLibraryError if it used a library convolution."""
    __tracebackhide__ = True
    used = []

    def watch(frame, event, arg):
        if not used:
            library = _library_called(event, frame, arg)
            if library:
                used.append(library)

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        result = run_limited(f, *args, seconds=seconds, **kwargs)
    finally:
        sys.setprofile(previous)
    if used:
        raise ForbiddenLibraryError(f"{_name(f)} used {used[0]}; this exercise asks for your own code "
                                    "(loops or numpy arithmetic)")
    return result


def run_limited(f, *args, seconds=CALL_SECONDS, **kwargs):
    """f(*args, **kwargs), stopped with TimeLimitExceeded after `seconds` (where signals allow it)."""
    __tracebackhide__ = True
    if not (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()):
        return _call(f, args, kwargs)
    start = time.monotonic()

    def stop(signum, frame):
        raise TimeLimitExceeded(f"{_name(f)} did not finish within {seconds} s: is there an endless loop?")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return _call(f, args, kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if time.monotonic() - start > seconds:  # the loop swallowed our signal
            raise TimeLimitExceeded(f"{_name(f)} did not finish within {seconds} s: is there an endless loop?")


def _call(f, args, kwargs):
    __tracebackhide__ = True
    try:
        return f(*args, **kwargs)
    except NotImplementedError as error:
        # Re-raised as it is, so that the traceback ends at the stub's own `raise` in the student's
        # answer cell (IPython shows the last frame even when hidden: a new exception raised here
        # would end the traceback in this file); only the message says what to do.
        error.args = (f"{_name(f)} is not written yet: in its answer cell, replace "
                      "`raise NotImplementedError()` with your code, then run that cell again",)
        raise


def _name(f):
    return getattr(f, "__name__", "this function")


def same_shape(value, want):
    """True if value is a tuple or list of ints (torch.Size and numpy ints count) equal to want."""
    if not isinstance(value, (tuple, list)) or len(value) != len(want):
        return False
    for got, expected in zip(value, want):
        if isinstance(got, bool) or not hasattr(got, "__index__") or got.__index__() != expected:
            return False
    return True
