"""What an assignment forbids, enforced where the student's code runs (the kernel and the re-check).

The forbidden modules' files are hidden in the sandbox already (an empty folder in their place:
isolation.Box masks); on top of that, importing one raises ForbiddenLibraryError with the
assignment's reason, and PyTorch gets the forbidden ATen operators replaced by that error right
after it is imported, so every route to them fails the same way (torch.nn.functional, nn.Modules,
torch.ops.aten, functools.partial, other threads). Student code may undo this in its own process;
that only changes what its own kernel says, never what the grader judges.
"""
import importlib.abc
import sys


class ForbiddenLibraryError(ImportError):
    """The code asked for a library that this assignment forbids."""


def install(settings):
    """Apply {"modules": [...], "torch_ops": [...], "reason": "..."} to this process."""
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
        """Replace the kernels of the forbidden ATen operators: every path to them (torch.nn.functional,
        nn.Modules, torch.ops.aten, partials, other threads) reaches the replacement."""
        import warnings
        reason = self.reason

        def refuse(*args, **kwargs):
            raise ForbiddenLibraryError(f"a PyTorch convolution or pooling operator was called: {reason}")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            library = torch.library.Library("aten", "IMPL")
            for op in self.torch_ops:
                for key in ("CPU", "CompositeImplicitAutograd", "CompositeExplicitAutograd", "AutogradCPU"):
                    try:
                        library.impl(op, refuse, key)
                    except (RuntimeError, ValueError, AttributeError):
                        pass
        _KEEP.append(library)  # the overrides last as long as the library object


_KEEP = []


class _PatchAfter(importlib.abc.Loader):
    def __init__(self, loader, patch):
        self.loader, self.patch = loader, patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.patch(module)
