"""Test helpers for the graded practice (run this cell; you do not need to read it).

run_own_code(f, *args): call f, but fail if it used a library convolution (convlab, PyTorch's
    conv functions or nn.Conv2d, scipy.signal, scipy.ndimage): these exercises ask for your own code.
run_limited(f, *args): call f, but stop it with TimeLimitExceeded after a few seconds (endless loop?).
same_shape(value, want): value is a shape (a tuple or list of ints) equal to want.

Both helpers only watch the call; they change nothing in numpy, torch or your namespace.
"""
import os
import signal
import sys
import time

CALL_SECONDS = 3  # the practice's functions need milliseconds; a loop that never ends needs this
# Python code under these folders counts as a library convolution.
_FORBIDDEN_FOLDERS = {
    os.sep + "convlab" + os.sep: "convlab",
    os.sep + os.path.join("scipy", "signal") + os.sep: "scipy.signal",
    os.sep + os.path.join("scipy", "ndimage") + os.sep: "scipy.ndimage",
    os.sep + os.path.join("torch", "nn", "modules", "conv.py"): "torch.nn.Conv2d",
}
# PyTorch's convolutions are C functions (torch.conv2d is torch.nn.functional.conv2d).
_FORBIDDEN_TORCH_BUILTINS = {
    "conv1d", "conv2d", "conv3d", "convolution", "_convolution", "conv_tbc",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
}


class TimeLimitExceeded(BaseException):
    """A call ran past its time limit (a BaseException, so `except Exception` cannot swallow it)."""


class ForbiddenLibraryError(RuntimeError):
    """The function under test used a library convolution instead of the student's own code."""


def _library_called(event, frame, arg):
    """The library a profiler event belongs to, or None."""
    if event == "call":
        filename = frame.f_code.co_filename
        for folder, library in _FORBIDDEN_FOLDERS.items():
            if folder in filename:
                return library
    elif event == "c_call":
        name = getattr(arg, "__name__", "")
        qualname = getattr(arg, "__qualname__", "")
        if name in _FORBIDDEN_TORCH_BUILTINS and getattr(arg, "__module__", None) == "torch" \
                and qualname.startswith("_VariableFunctionsClass."):
            return "torch." + name
    return None


def run_own_code(f, *args, seconds=CALL_SECONDS, **kwargs):
    """f(*args, **kwargs) within the time limit; ForbiddenLibraryError if it used a library convolution."""
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
        name = getattr(f, "__name__", "this function")
        raise ForbiddenLibraryError(
            f"{name} used {used[0]}; this exercise asks for your own code (loops or numpy arithmetic)")
    return result


def run_limited(f, *args, seconds=CALL_SECONDS, **kwargs):
    """f(*args, **kwargs), stopped with TimeLimitExceeded after `seconds` (where signals allow it)."""
    can_interrupt = hasattr(signal, "setitimer") and _in_main_thread()
    if not can_interrupt:
        return f(*args, **kwargs)
    name = getattr(f, "__name__", "the call")
    start = time.monotonic()

    def stop(signum, frame):
        raise TimeLimitExceeded(f"{name} did not finish within {seconds} s: is there an endless loop?")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return f(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if time.monotonic() - start > seconds:  # the loop swallowed our signal
            raise TimeLimitExceeded(f"{name} did not finish within {seconds} s: is there an endless loop?")


_ran_too_long = {}  # id -> function: functions that ran past their limit (kept alive, so ids stay unique)


def call_once_too_long(f, *args, own_code=False, seconds=CALL_SECONDS, **kwargs):
    """run_own_code or run_limited, but a function that ran past its limit once is not run again
    (a test of an endless loop then fails at once instead of waiting out every limit)."""
    name = getattr(f, "__name__", "the call")
    if id(f) in _ran_too_long:
        raise TimeLimitExceeded(f"{name} did not finish within {seconds} s before, so it was not run again")
    try:
        return (run_own_code if own_code else run_limited)(f, *args, seconds=seconds, **kwargs)
    except TimeLimitExceeded:
        _ran_too_long[id(f)] = f
        raise


def _in_main_thread():
    import threading
    return threading.current_thread() is threading.main_thread()


def same_shape(value, want):
    """True if value is a tuple or list of ints (torch.Size and numpy ints count) equal to want."""
    if not isinstance(value, (tuple, list)) or len(value) != len(want):
        return False
    for got, expected in zip(value, want):
        if isinstance(got, bool) or not hasattr(got, "__index__") or got.__index__() != expected:
            return False
    return True
