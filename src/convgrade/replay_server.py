"""Inside a submission's sandbox: replay the notebook's cells, then run its functions for the grader.

The grader (convgrade.replay) starts this as `python -I -m convgrade.replay_server FD` in a fresh
isolation.Box per submission: isolated mode, so nothing from a writable folder is on sys.path,
and FD is one end of a socketpair the grader made (no path, no environment variable to find).

Everything here runs next to the student's code, so nothing here is trusted: the grader treats
every reply as data, decides every comparison itself, and enforces every deadline from outside
by killing the sandbox. The time limits below only make an honest endless loop fail fast.

Requests: run a cell, look up a name, call a function, read an attribute or an item, bind a name.
Values travel by value when they are data (codec); any other object stays here as a handle.
"""
import builtins
import importlib
import os
import random
import signal
import socket
import sys

from . import codec, forbid, wire

MAX_HANDLES = 10_000


class TimeLimitExceeded(BaseException):
    """A cell or a call ran past its time limit (a BaseException: `except Exception` cannot swallow it)."""


# ---------------------------------------------------------------- a namespace like the kernel's

class _IPythonStub:
    """Enough of get_ipython() for the magics a notebook uses to run (timing) or do nothing."""

    def __init__(self, namespace):
        self.user_ns = namespace
        self.input_transformers_post, self.ast_transformers = [], []

    def run_line_magic(self, name, line, *args):
        if name in ("time", "timeit") and line.strip():
            exec(compile(line, "<line magic>", "exec"), self.user_ns)

    def run_cell_magic(self, name, line, cell):
        if name in ("time", "timeit", "capture", "prun"):
            exec(compile(cell, "<cell magic>", "exec"), self.user_ns)

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def seed_everything(seed):
    """The same seeding the kernel gets before each cell (execution.seed_source)."""
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed % 2 ** 32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def _limited(seconds, run, *args, **kwargs):
    """run(*args, **kwargs), stopped with TimeLimitExceeded after `seconds` of CPU time.

    CPU time, not wall-clock time: on a machine busy with other gradings an honest function gets
    less of the CPU per second, and a wall-clock limit would then fail it on one run and not on
    the next. Code that waits instead of computing (sleep, a blocking read) is stopped by the
    grader's own wall-clock deadline from outside (replay.wall_limit).
    """
    def stop(signum, frame):
        raise TimeLimitExceeded(f"did not finish within {seconds:g} s: is there an endless loop?")
    signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        return run(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


class Session:
    def __init__(self, sock):
        from IPython.core.inputtransformer2 import TransformerManager
        self.sock = sock
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        stub = _IPythonStub(self.namespace)
        self.namespace["get_ipython"] = lambda: stub
        self.namespace["display"] = lambda *args, **kwargs: None
        self.transform = TransformerManager().transform_cell
        self.handles, self.numbers = {}, {}

    # -- values

    def keep(self, value):
        """A handle for value (the same one each time the same object comes back)."""
        number = self.numbers.get(id(value))
        if number is None:
            if len(self.handles) >= MAX_HANDLES:
                raise codec.Unsupported("too many objects")
            number = self.numbers[id(value)] = len(self.handles) + 1
            self.handles[number] = value
        return {"id": number, "type": type(value).__name__[:80], "callable": callable(value)}

    def describe(self, value):
        if type(value).__name__ == "module" and isinstance(getattr(value, "__name__", None), str):
            return {"module": value.__name__}
        return {"value": codec.encode(value, self.keep)}

    def resolve(self, body):
        return self.handles[int(body["id"])]

    def target(self, request):
        if "handle" in request:
            return self.handles[int(request["handle"])]
        return self.namespace[request["name"]]

    # -- the loop

    def serve(self):
        while True:
            try:
                request = wire.receive(self.sock)
            except (ConnectionError, OSError, ValueError):
                return
            try:
                reply = self.handle(request)
            except BaseException as error:  # SystemExit, time limits and student errors: reported, not fatal
                reply = raised(error)
            try:
                wire.send(self.sock, reply)
            except wire.MessageTooLarge as error:
                wire.send(self.sock, raised(error))

    def handle(self, request):
        op = request["op"]
        seconds = float(request.get("seconds", 10))
        if op == "run":
            seed_everything(int(request["seed"]))
            code = compile(self.transform(request["source"]), "<cell>", "exec")
            _limited(seconds, exec, code, self.namespace)
            return {"ok": True}
        if op == "lookup":
            if request["name"] not in self.namespace:
                return {"missing": True}
            return self.describe(self.namespace[request["name"]])
        if op == "call":
            function = self.target(request)
            args = [codec.decode(a, self.resolve) for a in request["args"]]
            kwargs = {k: codec.decode(v, self.resolve) for k, v in request["kwargs"].items()}
            return self.describe(_limited(seconds, function, *args, **kwargs))
        if op == "getattr":
            return self.describe(_limited(seconds, getattr, self.target(request), request["attribute"]))
        if op == "getitem":
            key = codec.decode(request["key"], self.resolve)
            return self.describe(_limited(seconds, lambda: self.target(request)[key]))
        if op == "len":
            return self.describe(_limited(seconds, len, self.target(request)))
        if op == "iter":
            items = _limited(seconds, lambda: [v for _, v in zip(range(codec.MAX_ITEMS + 1), self.target(request))])
            if len(items) > codec.MAX_ITEMS:
                raise codec.Unsupported(f"more than {codec.MAX_ITEMS} items")
            return {"items": [self.describe(v) for v in items]}
        if op == "bind":
            if "module" in request:
                value = importlib.import_module(request["module"])
            else:
                value = codec.decode(request["value"], self.resolve)
            self.namespace[request["name"]] = value
            return {"ok": True}
        raise ValueError(f"unknown request {op!r}")


def raised(error):
    names = [c.__name__ for c in type(error).__mro__][:20]
    try:
        text = str(error)
    except BaseException:  # a student's exception whose __str__ raises
        text = "(no message)"
    return {"raised": {"types": names, "message": text[:2000]}}


def main(fd):
    devnull = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):  # the student's prints go nowhere, however large
        os.dup2(devnull, std)
    sock = socket.socket(fileno=fd)
    setup = wire.receive(sock)
    forbid.install(setup.get("forbid", {}))
    for name in setup.get("preload", ()):
        try:
            importlib.import_module(name)
        except BaseException:
            pass
    sys.path.append(os.getcwd())  # last: the submission's own modules, never ahead of the libraries
    wire.send(sock, {"ready": os.getpid()})
    Session(sock).serve()


if __name__ == "__main__":
    main(int(sys.argv[1]))
    os._exit(0)
