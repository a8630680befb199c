"""The grader's side of the re-check: a fresh sandboxed process per submission, and proxies to it.

`Replay` starts convgrade.replay_server inside its own isolation.Box, with the forbidden
libraries of the assignment absent or replaced, and talks to it over a socketpair the grader
made. Every reply is size-capped. Every request has a CPU budget, counted in the box (busy
children included) as well as by the server itself, and a wall-clock backstop; the whole
exchange has a CPU budget and a wall-clock backstop after which the box is killed from outside
(a watchdog thread, so nothing the process does can stretch it). A process that stops answering
raises ReplayGone, saying which limit stopped it (budget: CPU, OVERLOADED or IDLE).

`RemoteNamespace` is the namespace a test cell's code runs in on the grader's side: names the
test binds itself, then the trusted helpers and the builtins, then the student's namespace in
the sandbox. From there, data comes by value (arrays, numbers, strings, containers of them);
allowed modules are the grader's own imports (never the student's copy); anything else is a
`RemoteObject`, which can be called, indexed and asked for attributes, all in the sandbox, but
never compared, converted or truth-tested here, so no object of the student's can decide a test.
"""
import builtins
import importlib
import os
import select
import socket
import sys
import threading
import time

from . import budget, codec, isolation, wire

GRACE_SECONDS = 5  # past a request's own limit, before the grader gives up on the process
# The box's own limits count CPU time (replay_server._limited, and the box's cgroup here); the
# grader's deadline is a wall-clock backstop, with room for a machine that is busy grading others:
# a tenth of a core per box still passes (measured: a box got an eighth of a core at load 16 on 2
# cores, and three times the CPU budget stopped honest calls as "grader overloaded; re-grade").
WALL_FACTOR = 10


POLL_SECONDS = 0.25  # how often the box is measured while a request runs
# The server stops its own code at `seconds` of its own CPU time (a clean TimeLimitExceeded); the
# box's count, which also holds what the code started beside it, stops the whole re-check a little
# later, so that the server's own limit acts first where it can.
BOX_CPU_FACTOR, BOX_CPU_GRACE = 1.25, 1.0
# A reply that has begun to arrive must be complete this soon: writing the largest message takes
# a fraction of a second of CPU time, so a reply trickled a byte at a time is the student's code
# waiting on purpose, not the machine being busy (it gives "waited too long").
REPLY_SECONDS = 10


def wall_limit(seconds):
    """The grader's wall-clock deadline for a request whose code may use `seconds` of CPU time."""
    return seconds * WALL_FACTOR + GRACE_SECONDS

STARTUP_SECONDS = 60
SERVER_CODE = os.path.dirname(os.path.abspath(__file__))  # this package, visible read-only in the box

# Modules a test may use from the student's namespace as the grader's own copy (by name).
TRUSTED_MODULES = {"numpy", "math", "cmath", "random", "itertools", "functools", "operator", "collections",
                   "statistics", "fractions", "decimal", "string", "re", "torch", "torch.nn",
                   "torch.nn.functional", "numpy.random", "numpy.linalg"}


class ReplayGone(Exception):
    """The sandboxed process stopped answering: it exited, crashed, or was stopped at a limit
    (`stopped`: the status that gives, budget.CPU, OVERLOADED or IDLE; None otherwise)."""

    def __init__(self, message, stopped=None):
        super().__init__(message)
        self.stopped = stopped

    @property
    def timed_out(self):
        return self.stopped is not None


class NotRecheckable(Exception):
    """The test needs something that cannot cross to or from the sandbox: it cannot be re-checked."""


class StudentError(Exception):
    """Raised by the student's code in the sandbox (mixed into a builtin exception class)."""


class CallTimedOut(StudentError):
    """A call of the student's code ran past its time limit."""


class ForbiddenLibraryError(StudentError, ImportError):
    """The student's code used a library this assignment forbids."""


_RESERVED = {"StopIteration", "StopAsyncIteration", "GeneratorExit", "SystemExit", "KeyboardInterrupt"}
_BUILTIN_ERRORS = {name: value for name, value in vars(builtins).items()
                   if isinstance(value, type) and issubclass(value, Exception) and name not in _RESERVED}
_MIXED = {}


def student_exception(types, message):
    """An exception of the grader's that behaves like the one the student's code raised."""
    if "TimeLimitExceeded" in types:
        return CallTimedOut(message)
    if "ForbiddenLibraryError" in types:
        return ForbiddenLibraryError(message)
    base = next((_BUILTIN_ERRORS[name] for name in types if name in _BUILTIN_ERRORS), Exception)
    if base not in _MIXED:
        _MIXED[base] = type(base.__name__, (base, StudentError), {"__module__": "builtins"})
    return _MIXED[base](message)


class Replay:
    """One fresh process in the submission's sandbox; close() kills it (and everything it started)."""

    def __init__(self, settings, files_from=None, forbid=None, preload=(), total_seconds=600, total_cpu=None):
        self.gone, self.stopped = None, None
        self.whole = None  # the re-check's own budget (a budget.Meter), from the server's start
        self.too_slow = set()  # handles of functions that ran past their limit once: not run again
        self.box = isolation.Box(settings, files_from=files_from, read_only=[SERVER_CODE],
                                 masks=(forbid or {}).get("paths", ()), name="recheck")
        ours, theirs = socket.socketpair()
        self.sock = ours
        package_parent = os.path.dirname(SERVER_CODE)
        command = [sys.executable, "-I", "-c",
                   f"import sys; sys.path.append({package_parent!r}); "
                   "from convgrade import replay_server; replay_server.main(int(sys.argv[1]))",
                   str(theirs.fileno())]
        try:
            self.box.popen(command, pass_fds=[theirs.fileno()])
        finally:
            theirs.close()
        self.deadline = time.monotonic() + total_seconds
        self.whole = budget.Meter(self.box, total_cpu, total_seconds)
        self._watchdog = threading.Timer(total_seconds, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        setup = {"forbid": {k: list(v) if isinstance(v, (list, tuple)) else v
                            for k, v in (forbid or {}).items() if k != "paths"},
                 "preload": list(preload)}
        self.pid = self._exchange(setup, STARTUP_SECONDS, "start")["ready"]

    @property
    def timed_out(self):
        return self.stopped is not None

    def _expire(self):
        if not self.gone:
            self.stopped = self.whole.classify()
            self.gone = self.whole.describe("the re-check", self.stopped)
        self.box.kill()

    def _exchange(self, message, seconds, what):
        if self.gone:
            raise ReplayGone(self.gone, self.stopped)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self._expire()
            raise ReplayGone(self.gone, self.stopped)
        allowed = max(0.1, min(wall_limit(seconds), remaining))
        call = budget.Meter(self.box, seconds * BOX_CPU_FACTOR + BOX_CPU_GRACE, allowed)
        call.cpu_limit = seconds  # what the student is told
        self.sock.settimeout(allowed)
        try:
            wire.send(self.sock, message)
            spent = self._wait_for_reply(call)
            if spent is None:  # a reply has begun: the rest follows at once, or the process is stalling it
                return wire.receive(self.sock, deadline=min(call.start_wall + allowed, time.monotonic() + REPLY_SECONDS))
            self.stopped, meter, whom = spent
            self.gone = meter.describe(whom or what, self.stopped)
        except socket.timeout:
            if allowed < wall_limit(seconds):  # the whole re-check's backstop came first
                self.stopped = self.whole.classify()
                self.gone = self.whole.describe("the re-check", self.stopped)
            else:
                self.stopped = call.classify()
                self.gone = call.describe(what, self.stopped)
        except wire.MessageTooLarge as error:
            self.gone = f"{what} sent back too much data ({error})"
        except (ConnectionError, OSError, ValueError):
            self.gone = self.gone or "the Python process running your code ended (did your code exit or crash it?)"
        self.box.kill()
        raise ReplayGone(self.gone, self.stopped)

    def _wait_for_reply(self, call):
        """None once a reply starts to arrive; (budget.CPU, meter, who) if a CPU budget ran out first
        (this request's, counted in the box, or the whole re-check's); socket.timeout at the backstop."""
        while True:
            left = call.start_wall + call.wall_budget - time.monotonic()
            if left <= 0:
                raise socket.timeout("no reply in time")
            ready, _, _ = select.select([self.sock], [], [], min(POLL_SECONDS, left))
            if ready:
                return None
            call.sample()
            self.whole.sample()
            if call.cpu >= call.cpu_budget:
                return budget.CPU, call, None
            if self.whole is not None and self.whole.cpu_budget and self.whole.cpu >= self.whole.cpu_budget:
                return budget.CPU, self.whole, "the re-check"

    def request(self, message, seconds=10):
        """The reply to one request; student exceptions are raised as the grader's own."""
        reply = self._exchange({**message, "seconds": seconds}, seconds, _what(message))
        if "raised" in reply:
            raise student_exception(tuple(reply["raised"]["types"]), reply["raised"]["message"])
        return reply

    def run_cell(self, source, seed, seconds):
        """Run one cell; its errors stay in the sandbox, as in the kernel. False if it raised."""
        try:
            self.request({"op": "run", "source": source, "seed": seed}, seconds)
            return True
        except StudentError:
            return False

    def close(self):
        self._watchdog.cancel()
        self.sock.close()
        self.box.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _what(message):
    if message.get("op") == "run":
        return "a cell"
    name = message.get("name") or message.get("attribute")
    return f"`{name}`" if name else "your code"


# ---------------------------------------------------------------- proxies on the grader's side

class RemoteNamespace(dict):
    """A test's globals: its own names, then `trusted` and the builtins, then the student's names."""

    def __init__(self, replay, trusted, call_seconds, modules=(), mirror="modules"):
        super().__init__(trusted)
        self.replay, self.call_seconds = replay, call_seconds
        self.modules = TRUSTED_MODULES | set(modules)
        self.found = {}
        self.mirror = mirror  # what the test binds is bound in the sandbox too: "all", "modules" or "none"

    def __setitem__(self, name, value):
        # As in the kernel, where the test's `import torch` or `x = ...` is seen by the student's code.
        super().__setitem__(name, value)
        self.found.pop(name, None)
        if self.mirror == "none" or name.startswith("__"):
            return
        if type(value).__name__ == "module":
            if value.__name__ in self.modules:
                self._bind({"op": "bind", "name": name, "module": value.__name__})
        elif self.mirror == "all":
            try:
                self._bind({"op": "bind", "name": name, "value": outgoing(value)})
            except (NotRecheckable, codec.Unsupported):
                pass  # a function or object of the grader's: it stays here

    def _bind(self, message):
        try:
            self.replay.request(message, self.call_seconds)
        except StudentError:
            pass

    def __missing__(self, name):
        if hasattr(builtins, name):  # the builtins come before any student name: `all = ...` changes nothing here
            return getattr(builtins, name)
        if name not in self.found:
            reply = self.replay.request({"op": "lookup", "name": name}, self.call_seconds)
            if reply.get("missing"):
                raise KeyError(name)
            self.found[name] = local(self.replay, reply, self.modules, self.call_seconds)
        return self.found[name]


def local(replay, reply, modules, call_seconds):
    """The grader's value for a described value from the sandbox."""
    if "module" in reply:
        name = reply["module"]
        if name in modules:
            return importlib.import_module(name)
        raise NotRecheckable(f"the test uses the module {name!r}, which the grader does not load for tests")
    return codec.decode(reply["value"], lambda body: RemoteObject(replay, body, modules, call_seconds))


def _refuse(what):
    def method(self, *args, **kwargs):
        raise TypeError(f"{self!r} is not data the grader can {what}: return numbers, arrays, strings, "
                        "or tuples, lists and dicts of them")
    return method


class RemoteObject:
    """An object that stays in the sandbox; calls and lookups run there, comparisons nowhere."""

    __slots__ = ("_replay", "_id", "_type", "_callable", "_modules", "_seconds")

    def __init__(self, replay, body, modules, seconds):
        for key, value in (("_replay", replay), ("_id", int(body["id"])), ("_type", str(body["type"])[:80]),
                           ("_callable", bool(body["callable"])), ("_modules", modules), ("_seconds", seconds)):
            object.__setattr__(self, key, value)

    def __repr__(self):
        return f"<a {self._type} from your code>"

    __str__ = __repr__

    def _ask(self, message, seconds=None):
        seconds = seconds or self._seconds
        if message["op"] == "call" and self._id in self._replay.too_slow:
            raise CallTimedOut(f"did not finish within {seconds:g} s before, so it was not run again")
        try:
            reply = self._replay.request({**message, "handle": self._id}, seconds)
        except CallTimedOut:
            if message["op"] == "call":
                self._replay.too_slow.add(self._id)
            raise
        return local(self._replay, reply, self._modules, self._seconds)

    def __call__(self, *args, **kwargs):
        if not self._callable:
            raise TypeError(f"{self!r} is not callable")
        return self._ask({"op": "call", "args": [outgoing(a) for a in args],
                          "kwargs": {str(k): outgoing(v) for k, v in kwargs.items()}})

    def __getattr__(self, attribute):
        if attribute.startswith("__"):  # e.g. __array_interface__: numpy would trust what comes back
            raise AttributeError(attribute)
        return self._ask({"op": "getattr", "attribute": attribute})

    def __getitem__(self, key):
        return self._ask({"op": "getitem", "key": outgoing(key)})

    def __len__(self):
        value = self._ask({"op": "len"})
        if type(value) is not int:
            raise TypeError(f"len() of {self!r} is not an int")
        return value

    def __iter__(self):
        reply = self._replay.request({"op": "iter", "handle": self._id}, self._seconds)
        return iter([local(self._replay, item, self._modules, self._seconds) for item in reply["items"]])

    def __setattr__(self, name, value):
        raise TypeError(f"{self!r} cannot be changed by the grader")

    __bool__ = _refuse("read as true or false")
    __eq__ = _refuse("compare")
    __ne__ = _refuse("compare")
    __lt__ = _refuse("compare")
    __le__ = _refuse("compare")
    __gt__ = _refuse("compare")
    __ge__ = _refuse("compare")
    __contains__ = _refuse("search")
    __array__ = _refuse("read as an array")
    __float__ = _refuse("read as a number")
    __int__ = _refuse("read as a number")
    __index__ = _refuse("read as a number")
    __complex__ = _refuse("read as a number")
    __hash__ = object.__hash__


def outgoing(value):
    """A grader value as it travels to the sandbox (a RemoteObject goes back as its handle)."""
    def handle(other):
        if isinstance(other, RemoteObject):
            return {"id": other._id}
        raise NotRecheckable(f"the test passes a {type(other).__name__} to the student's code, "
                             "which cannot be sent to the sandbox")
    return codec.encode(value, handle)


def call_remote(function, args, kwargs, seconds=None):
    """Call a student function (a RemoteObject) with a time limit of its own."""
    if not isinstance(function, RemoteObject):
        return function(*args, **kwargs)
    if not function._callable:
        raise TypeError(f"{function!r} is not callable")
    return function._ask({"op": "call", "args": [outgoing(a) for a in args],
                          "kwargs": {str(k): outgoing(v) for k, v in kwargs.items()}}, seconds)
