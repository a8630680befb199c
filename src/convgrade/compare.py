"""Comparisons for an assignment's checks, with messages a student can act on.

They run in the grader (verify.py), on values copied out of the re-check sandbox, so they can be
trusted. Every failure raises CheckFailed (an AssertionError) saying what was called, what came
back and what was expected, in words; nothing here knows about any course.
"""
import contextvars

import numpy as np

from .replay import CallTimedOut

_TEST_RNG = contextvars.ContextVar("convgrade_test_rng", default=None)


def test_rng():
    """The random generator of the test being graded: seeded for this student and this test by the
    grader (so hidden inputs differ between students, and not between re-grades), or a fixed seed
    when a notebook runs elsewhere (nbgrader validate in the instructor's own kernel)."""
    rng = _TEST_RNG.get()
    if rng is None:
        rng = np.random.default_rng(0)
        _TEST_RNG.set(rng)
    return rng


def use_test_rng(rng):
    """Make rng the current test's generator (judge.run_test does this before each test)."""
    return _TEST_RNG.set(rng)


class CheckFailed(AssertionError):
    """A behaviour did not hold; the message says what was called, what came back and why it is wrong."""


def describe(value):
    """A short description of a value for a message (arrays by shape, not contents)."""
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if type(value).__name__ == "Tensor":
        return f"a torch tensor of shape {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_call(name, args=(), kwargs=None):
    """How a call looks in a message, e.g. corr2d(a numpy array of shape (5, 5), ...)."""
    shown = [describe(a) if hasattr(a, "shape") else repr(a) for a in args]
    shown += [f"{k}={v!r}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(shown)})"


def as_number_array(value, what):
    """value as a float array, or CheckFailed saying what came back instead."""
    if isinstance(value, (np.ndarray, np.generic, int, float, list, tuple)) and not isinstance(value, bool) \
            or type(value).__name__ == "Tensor":
        try:
            return np.asarray(value, dtype=float)
        except (TypeError, ValueError, RuntimeError):
            pass
    raise CheckFailed(f"{what} gave {describe(value)}, not an array of numbers")


def expect_array(value, want, what):
    """value has want's shape and values (np.allclose's default tolerances, as the visible tests)."""
    got = as_number_array(value, what)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        raise CheckFailed(f"{what} has shape {got.shape}; expected shape {want.shape}")
    if not np.allclose(got, want):
        if want.ndim == 0:
            raise CheckFailed(f"{what} is {got:.6g}; expected {want:.6g}")
        where = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
        raise CheckFailed(f"{what} is wrong at {tuple(int(i) for i in where)}: "
                          f"got {got[where]:.6g}, expected {want[where]:.6g}")


def is_shape(value, want):
    """value is a tuple or list of ints (numpy ints count, bools do not) equal to want."""
    if not isinstance(value, (tuple, list)) or len(value) != len(want):
        return False
    return all(isinstance(g, (int, np.integer)) and not isinstance(g, bool) and int(g) == w
               for g, w in zip(value, want))


def expect_shape(value, want, what):
    if not is_shape(value, want):
        raise CheckFailed(f"{what} is {describe(value)}; expected the shape {tuple(want)} (a tuple of ints)")


def expect_int(value, want, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise CheckFailed(f"{what} gave {describe(value)}; expected the int {want}")
    if int(value) != want:
        raise CheckFailed(f"{what} gave {int(value)}; expected {want}")


def expect_rejected(function, name, args, kwargs, errors, why):
    """Calling function must raise one of `errors` (exception classes) because `why`."""
    call = describe_call(name, args, kwargs)
    expected = " or ".join(e.__name__ for e in errors)
    try:
        returned = function(*args, **kwargs)
    except CallTimedOut as error:
        raise CallTimedOut(f"{call}: {error}") from None
    except errors:
        return
    except Exception as error:
        raise CheckFailed(f"{call} raised {type(error).__name__}: {error}; it should raise {expected} "
                          f"because {why}") from None
    raise CheckFailed(f"{call} returned {describe(returned)}; it should raise {expected} because {why}")


def returned(function, name, *args, **kwargs):
    """function(*args, **kwargs), or CheckFailed saying that the call raised."""
    try:
        return function(*args, **kwargs)
    except CallTimedOut as error:
        raise CallTimedOut(f"{describe_call(name, args, kwargs)}: {error}") from None
    except Exception as error:
        raise CheckFailed(f"{describe_call(name, args, kwargs)} raised {type(error).__name__}: {error}") from None
