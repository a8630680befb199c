"""Run a block of numpy with its BLAS on one thread (OpenBLAS, as numpy's wheels ship it).

An explorer's matrix products are small: the channel explorer's largest, 64 output channels of
a 3 x 64 x 64 image with 7 x 7 kernels, is some 40 million multiply-adds, a few milliseconds on
one thread. On several, OpenBLAS's workers wait for the next product by spinning for a while
(up to about 0.1 s) and each product waits at a barrier for all of them, so on a machine with
other work a change pays for a descheduled thread, and the spinning workers burn a core through
the drawing that follows. Measured on the course machine (2 cores, loaded): that explorer's
compute took 14 to 40 ms of CPU (20 to 150 ms wall) on two threads, 3 to 10 ms on one.

OpenBLAS is found among the libraries this process has loaded and driven through ctypes, as
threadpoolctl does (not a dependency of the course); with another BLAS, or when its functions
are not found, the block runs as it is.
"""
import contextlib
import ctypes
import functools
import glob
import os

import numpy as np

__all__ = ["single_threaded_blas"]

# the names numpy's OpenBLAS builds give the thread-count functions (scipy-openblas wheels
# prefix them and add a 64-bit-integer suffix; a system OpenBLAS has the plain names)
_NAMES = [(f"{prefix}_get_num_threads{suffix}", f"{prefix}_set_num_threads{suffix}")
          for prefix in ("scipy_openblas", "openblas") for suffix in ("64_", "_64_", "")]


def _loaded_libraries():
    """Paths of the shared libraries that may be numpy's OpenBLAS: those this process has mapped
    (Linux), else those numpy's wheel ships beside it."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(None, 5)[-1].strip() for line in maps if "openblas" in line.lower()}
        if paths:
            return sorted(paths)
    except OSError:
        pass
    root = os.path.dirname(os.path.dirname(np.__file__))
    return sorted(path for folder in ("numpy.libs", os.path.join("numpy", ".dylibs"))
                  for path in glob.glob(os.path.join(root, folder, "*openblas*")))


@functools.lru_cache(maxsize=1)
def _thread_functions():
    """(get, set) of OpenBLAS's thread count, or None when not found."""
    for path in _loaded_libraries():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _NAMES:
            get, set_ = getattr(library, get_name, None), getattr(library, set_name, None)
            if get is not None and set_ is not None:
                get.restype, set_.restype, set_.argtypes = ctypes.c_int, None, [ctypes.c_int]
                return get, set_
    return None


@contextlib.contextmanager
def single_threaded_blas():
    """Within this block numpy's BLAS runs on the calling thread only (see the module docstring)."""
    functions = _thread_functions()
    if functions is None:
        yield
        return
    get, set_ = functions
    threads = get()
    if threads > 1:
        set_(1)
    try:
        yield
    finally:
        if threads > 1:
            set_(threads)
