"""What an assignment declares for its grading: `source/<assignment>/checks.py`, all of it optional.

The engine holds no course content. An assignment's checks module sits beside its notebook (it
is never released: nbgrader_config.py lists it in CourseDirectory.ignore) and may hold:

    FORBIDDEN_MODULES   modules the student's code may not use (absent from the re-check sandbox)
    FORBIDDEN_TORCH_OPS ATen operators replaced by an error there ("convolution", "max_pool2d", ...)
    FORBIDDEN_REASON    the sentence a student reads when their code reaches one of them
    PRELOAD             modules the re-check imports while the kernel runs (a head start)
    TEST_MODULES        more modules a test may use as the grader's own copy (numpy, math and
                        torch are always allowed)
    CALL_SECONDS        the time limit of one call of a student's function (default 3)

and any functions the hidden tests call as `checks.<name>(...)`: they run in the grader, with the
student's functions passed in as proxies. An assignment without a checks module is graded the
same way: every test cell's own code is re-run by the grader.
"""
import importlib.util
import os
import sys
from dataclasses import dataclass, field

CHECKS_FILE = "checks.py"


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
    forbidden = tuple(getattr(module, "FORBIDDEN_MODULES", ()))
    content = Content(module=module, forbidden_modules=forbidden,
                      forbidden_torch_ops=tuple(getattr(module, "FORBIDDEN_TORCH_OPS", ())),
                      reason=getattr(module, "FORBIDDEN_REASON", Content.reason),
                      preload=tuple(getattr(module, "PRELOAD", ())),
                      test_modules=tuple(getattr(module, "TEST_MODULES", ())),
                      call_seconds=float(getattr(module, "CALL_SECONDS", Content.call_seconds)),
                      masks=library_paths(forbidden))
    _loaded[path] = (stamp, content)
    return content


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
