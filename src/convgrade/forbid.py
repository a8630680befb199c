"""What an assignment forbids, enforced where the student's code runs (the kernel and the re-check).

The forbidden modules' files are hidden in the sandbox already (an empty folder in their place:
isolation.Box masks); on top of that, importing one raises ForbiddenLibraryError with the
assignment's reason, and PyTorch gets the forbidden operators replaced by that error right after
it is imported, so every route to them fails the same way (torch.nn.functional, nn.Modules,
torch.ops.<namespace>, .out overloads, functools.partial, other threads). Student code may undo
this in its own process; that only changes what its own kernel says, never what the grader judges.

Forbidden operators fail closed: the assignment names them by patterns (fnmatch) over the
operators' names, e.g. "*conv*" forbids every registered operator with "conv" in its name, in
every namespace (aten, quantized, mkldnn, ...) and every overload, including ones nobody listed.
A pattern with "::" is matched against the qualified name ("aten::conv2d", also with its
overload, "aten::conv2d.padding"); one without, against the bare operator name ("conv2d").
"""
import fnmatch
import importlib.abc
import sys

# The dispatch keys a forbidden operator loses its kernels at: every CPU backend a tensor can
# have (dense, quantized, MKL-DNN, sparse), the composite kernels, and autograd's. Whatever key
# a call reaches (inference mode skips autograd's), the kernel there is the refusal.
DISPATCH_KEYS = ("CPU", "QuantizedCPU", "MkldnnCPU", "SparseCPU", "SparseCsrCPU", "CompositeImplicitAutograd",
                 "CompositeExplicitAutograd", "CompositeExplicitAutogradNonFunctional", "AutogradCPU", "Autograd")


class ForbiddenLibraryError(ImportError):
    """The code asked for a library that this assignment forbids."""


def torch_op_names(torch):
    """Every operator registered with PyTorch's dispatcher, as "namespace::name[.overload]".

    PyTorch has no public listing: this leans on torch._C._dispatch_get_all_op_names (there in
    the pinned 2.13); tests/test_grading_failclosed.py fails with a clear message if it goes.
    """
    return sorted(torch._C._dispatch_get_all_op_names())


def matches(pattern, qualified):
    """True if the operator "namespace::name[.overload]" is one that `pattern` forbids."""
    base = qualified.split(".", 1)[0]
    if "::" in pattern:
        return fnmatch.fnmatchcase(qualified, pattern) or fnmatch.fnmatchcase(base, pattern)
    return fnmatch.fnmatchcase(base.split("::", 1)[-1], pattern)


def forbidden_ops(torch, patterns):
    """The qualified names of the registered operators that `patterns` forbid."""
    return [op for op in torch_op_names(torch) if any(matches(p, op) for p in patterns)]


def install(settings):
    """Apply {"modules": [...], "torch_ops": [patterns], "reason": "..."} to this process."""
    if settings.get("modules") or settings.get("torch_ops"):
        sys.meta_path.insert(0, _Forbid(settings.get("modules", ()), settings.get("torch_ops", ()),
                                        settings.get("reason", "this assignment asks for your own code")))


class _Forbid(importlib.abc.MetaPathFinder):
    """Refuse forbidden modules; give torch its forbidden operators right after it is imported."""

    def __init__(self, modules, torch_ops, reason):
        self.modules, self.torch_ops, self.reason = tuple(modules), tuple(torch_ops), reason

    def find_spec(self, name, path=None, target=None):
        for module in self.modules:
            if name == module or name.startswith(module + "."):
                raise ForbiddenLibraryError(f"{module} is not available when your code is graded: {self.reason}")
        if name == "torch" and self.torch_ops:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    spec.loader = _PatchAfter(spec.loader, self._forbid_torch_ops)
                    return spec
        return None

    def _forbid_torch_ops(self, torch):
        """Replace every kernel of the forbidden operators: every path to them reaches the refusal."""
        import warnings
        libraries = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "overriding a previously registered kernel": that is the point
            for qualified in forbidden_ops(torch, self.torch_ops):
                namespace, op = qualified.split("::", 1)
                if namespace not in libraries:
                    libraries[namespace] = torch.library.Library(namespace, "IMPL")
                refuse = _refusal(qualified, self.reason)
                for key in DISPATCH_KEYS:
                    try:
                        libraries[namespace].impl(op, refuse, key)
                    except (RuntimeError, ValueError, AttributeError):
                        pass  # the operator cannot have a kernel at that key
        _KEEP.extend(libraries.values())  # the overrides last as long as the library objects


def _refusal(qualified, reason):
    def refuse(*args, **kwargs):
        raise ForbiddenLibraryError(f"the PyTorch operator {qualified} is not available when your code is "
                                    f"graded: {reason}")
    return refuse


_KEEP = []


class _PatchAfter(importlib.abc.Loader):
    def __init__(self, loader, patch):
        self.loader, self.patch = loader, patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.patch(module)
