"""What an assignment declares for its grading: `source/<assignment>/checks.py`, all of it optional.

The engine holds no course content. An assignment's checks module sits beside its notebook (it
is never released: nbgrader_config.py lists it in CourseDirectory.ignore) and may hold:

    FORBIDDEN_MODULES   modules the student's code may not use (absent from the re-check sandbox)
    FORBIDDEN_TORCH_OPS patterns of PyTorch operators replaced by an error there (fnmatch over the
                        operators' names: "*conv*" is every operator with "conv" in its name, in
                        every namespace and overload; see forbid.py), so an unlisted one is refused too
    FORBIDDEN_REASON    the sentence a student reads when their code reaches one of them
    PRELOAD             modules the re-check imports while the kernel runs (a head start)
    TEST_MODULES        more modules a test may use as the grader's own copy (numpy, math and
                        torch are always allowed)
    CALL_SECONDS        the time limit of one call of a student's function (default 3)

and any functions the hidden tests call as `checks.<name>(...)`: they run in the grader, with the
student's functions passed in as proxies. An assignment without a checks module is graded the
same way: every test cell's own code is re-run by the grader.

A field of the wrong type, a name close to a field's (FORBIDEN_MODULES), or an operator pattern
that matches no operator is a ChecksError naming the file and the field: a typo there would
otherwise forbid nothing.
"""
import difflib
import importlib.util
import numbers
import os
import sys
from dataclasses import dataclass, field

CHECKS_FILE = "checks.py"
FIELDS = ("FORBIDDEN_MODULES", "FORBIDDEN_TORCH_OPS", "FORBIDDEN_REASON", "PRELOAD", "TEST_MODULES", "CALL_SECONDS")


class ChecksError(ValueError):
    """An assignment's checks.py declares something the grader cannot apply as written."""


@dataclass
class Content:
    module: object = None
    forbidden_modules: tuple = ()
    forbidden_torch_ops: tuple = ()
    reason: str = "this part asks for your own code"
    preload: tuple = ()
    test_modules: tuple = ()
    call_seconds: float = 3.0
    masks: list = field(default_factory=list)

    def forbid(self):
        """The re-check sandbox's settings (replay.Replay's `forbid`)."""
        return {"modules": self.forbidden_modules, "torch_ops": self.forbidden_torch_ops,
                "reason": self.reason, "paths": self.masks}


_loaded = {}


def load(source_directory, assignment):
    """The assignment's Content (cached until its checks module changes)."""
    path = os.path.join(source_directory, assignment, CHECKS_FILE)
    try:
        stamp = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return Content()
    if _loaded.get(path, (None,))[0] == stamp:
        return _loaded[path][1]
    name = "convgrade_content_" + "".join(c if c.isalnum() else "_" for c in assignment)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling need the module registered
    spec.loader.exec_module(module)
    content = declared(module, path)
    _loaded[path] = (stamp, content)
    return content


def declared(module, path):
    """The Content a loaded checks module declares, every field checked (ChecksError otherwise)."""
    def fail(name, why):
        raise ChecksError(f"{path}: {name} {why}")

    for name in vars(module):
        if name.isupper() and name not in FIELDS:
            close = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.85)
            if close:
                fail(name, f"is not a field the grader reads: did you mean {close[0]}?")

    def names(field_name):
        value = getattr(module, field_name, ())
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or \
                not all(isinstance(item, str) and item.strip() for item in value):
            fail(field_name, f"must be a list of non-empty strings, not {value!r}")
        return tuple(value)

    reason = getattr(module, "FORBIDDEN_REASON", Content.reason)
    if not isinstance(reason, str) or not reason.strip():
        fail("FORBIDDEN_REASON", f"must be a non-empty string, not {reason!r}")
    seconds = getattr(module, "CALL_SECONDS", Content.call_seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not seconds > 0:
        fail("CALL_SECONDS", f"must be a positive number of seconds, not {seconds!r}")
    forbidden, ops = names("FORBIDDEN_MODULES"), names("FORBIDDEN_TORCH_OPS")
    if ops:
        import torch  # the grader's own (the oracle of the checks): its registry of operators

        from .forbid import forbidden_ops
        for pattern in ops:
            if not forbidden_ops(torch, [pattern]):
                fail("FORBIDDEN_TORCH_OPS", f"has {pattern!r}, which matches no PyTorch operator "
                                            f"(patterns are fnmatch over names like 'aten::conv2d')")
    return Content(module=module, forbidden_modules=forbidden, forbidden_torch_ops=ops, reason=reason,
                   preload=names("PRELOAD"), test_modules=names("TEST_MODULES"), call_seconds=float(seconds),
                   masks=library_paths(forbidden))


def library_paths(modules):
    """The files or folders of installed modules (to hide them in the sandbox), found without importing them."""
    paths = []
    for name in modules:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        if spec.submodule_search_locations:
            paths += [p for p in spec.submodule_search_locations if os.path.isdir(p)]
        elif spec.origin and os.path.isfile(spec.origin):
            paths.append(spec.origin)
    return paths
