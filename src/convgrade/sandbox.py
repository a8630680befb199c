"""Rerun a student's cells in a fresh process, out of reach of the kernel the notebook ran in.

A server process imports the heavy libraries once (numpy, torch, matplotlib) and forks one child
per submission, so a fresh sandbox costs milliseconds, not the seconds `import torch` takes. The
grader drives the child over a socket: run this cell, call that function with these inputs, give
me that variable. Values travel as JSON (codec), and every comparison happens in the grader.

Run the server:  python -m convgrade.sandbox SOCKET_PATH PARENT_PID
"""
import atexit
import functools
import json
import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from . import codec, guards
from .compare import CheckFailed, Outcome, describe_call, returned

ENV_SOCKET = "CONVGRADE_SANDBOX"  # the driver shares one server with all its workers
CPU_SECONDS = 300  # a child that ignores every time limit is killed by the OS after this
GRACE_SECONDS = 10  # how long past a time limit the grader waits before killing the child
MAX_MESSAGE = 64 * 1024 * 1024


# ---------------------------------------------------------------- framing (both sides)

def send_message(sock, message):
    data = json.dumps(message).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def receive_message(sock):
    header = _receive_exactly(sock, 4)
    size, = struct.unpack(">I", header)
    if size > MAX_MESSAGE:
        raise ConnectionError(f"message of {size} bytes")
    return json.loads(_receive_exactly(sock, size))


def _receive_exactly(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise ConnectionError("the sandbox process closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- the server and its children

def serve(socket_path, parent_pid):
    """Accept connections until the parent goes away; fork a sandbox child for each."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import numpy  # noqa: F401  (imported once here, inherited by every child)
    import torch
    import matplotlib.pyplot  # noqa: F401
    import IPython.core.inputtransformer2  # noqa: F401
    torch.set_num_threads(1)  # no thread pool before fork; two workers share two cores anyway
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path + ".starting")
    listener.listen(16)
    listener.settimeout(1.0)
    os.rename(socket_path + ".starting", socket_path)  # the path appears once connections work
    while os.getppid() == parent_pid:
        try:
            connection, _ = listener.accept()
        except socket.timeout:
            continue
        if os.fork() == 0:
            listener.close()
            _child(connection)  # never returns
        connection.close()
    listener.close()


def _child(connection):
    connection.settimeout(None)
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the student's code may wait for its own children
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # the student's prints go nowhere, however large
            os.dup2(devnull, fd)
        Session(connection).serve()
    finally:
        os._exit(0)


class _IPythonStub:
    """Enough of get_ipython() for magics to do nothing and %%time cells to run."""

    def __init__(self, namespace):
        self.user_ns = namespace
        self.input_transformers_post, self.ast_transformers = [], []

    def run_cell_magic(self, name, line, cell):
        if name in ("time", "timeit", "capture", "prun"):
            exec(compile(cell, "<cell magic>", "exec"), self.user_ns)

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class Session:
    """One sandbox: a namespace like the kernel's, filled by rerunning the student's cells."""

    def __init__(self, connection):
        from IPython.core.inputtransformer2 import TransformerManager
        self.connection = connection
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        self.namespace["get_ipython"] = lambda: stub
        stub = _IPythonStub(self.namespace)
        self.transform = TransformerManager().transform_cell

    def serve(self):
        send_message(self.connection, {"pid": os.getpid()})
        while True:
            try:
                request = receive_message(self.connection)
            except (ConnectionError, OSError, ValueError):
                return
            send_message(self.connection, self.handle(request))

    def handle(self, request):
        op = request["op"]
        if op == "chdir":
            os.chdir(request["path"])
            return {}
        if op == "run":
            return _as_reply(self.run(request["source"], request["seconds"]))
        if op == "value":
            if request["name"] not in self.namespace:
                return {"error_types": ["NameError"], "message": f"NameError: {request['name']} is not defined"}
            return {"value": codec.encode(self.namespace[request["name"]])}
        if op == "call":
            function = self.namespace.get(request["name"])
            if function is None:
                return {"error_types": ["NameError"], "message": f"NameError: {request['name']} is not defined"}
            args = [codec.decode(a) for a in request["args"]]
            kwargs = {k: codec.decode(v) for k, v in request["kwargs"].items()}
            run = functools.partial(guards.call_once_too_long, own_code=request["own_code"])
            return _as_reply(_attempt(run, function, args, kwargs, request["seconds"]))
        return {"error_types": ["ValueError"], "message": f"unknown request {op!r}"}

    def run(self, source, seconds):
        try:
            code = compile(self.transform(source), "<student cell>", "exec")
        except BaseException as error:  # a syntax error stays in that cell, as in the kernel
            return _error_outcome(error)
        return _attempt(guards.run_limited, exec, [code, self.namespace], {}, seconds)


def _attempt(run, function, args, kwargs, seconds):
    try:
        return Outcome(value=run(function, *args, seconds=seconds, **kwargs))
    except BaseException as error:  # SystemExit and time limits included: the session goes on
        return _error_outcome(error)


def _error_outcome(error):
    names = tuple(c.__name__ for c in type(error).__mro__)
    return Outcome(error_types=names, message=f"{type(error).__name__}: {error}"[:2000])


def _as_reply(outcome):
    if outcome.raised:
        return {"error_types": list(outcome.error_types), "message": outcome.message}
    return {"value": codec.encode(outcome.value)}


# ---------------------------------------------------------------- the grader's side

class SandboxGone(Exception):
    """The sandbox child stopped answering (it exited, crashed or ran past its time)."""


class Sandbox:
    """A connection to one fresh sandbox child."""

    def __init__(self, socket_path):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(60)
        self.socket.connect(socket_path)
        self.pid = receive_message(self.socket)["pid"]
        self.gone = None  # why the child stopped, once it has

    def request(self, message, seconds):
        if self.gone:
            raise SandboxGone(self.gone)
        self.socket.settimeout(seconds + GRACE_SECONDS)
        try:
            send_message(self.socket, message)
            return receive_message(self.socket)
        except socket.timeout:
            self.close()
            self.gone = f"it ran past its time limit of {seconds} s and was stopped"
        except (ConnectionError, OSError, ValueError):
            self.close()
            self.gone = "the Python process running your code ended (did your code exit or crash it?)"
        raise SandboxGone(self.gone)

    def close(self):
        self.socket.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SandboxStudent:
    """The student's code in a sandbox child: the same interface as checks.KernelStudent."""

    def __init__(self, sandbox, cell_seconds, call_seconds=guards.CALL_SECONDS):
        self.sandbox, self.cell_seconds, self.call_seconds = sandbox, cell_seconds, call_seconds

    def run_cell(self, source):
        """Run one of the student's cells; its errors stay in the sandbox, as in the kernel."""
        return _outcome(self.sandbox.request({"op": "run", "source": source, "seconds": self.cell_seconds},
                                             self.cell_seconds))

    def value(self, name):
        outcome = self._request({"op": "value", "name": name}, 5)
        if outcome.raised:
            raise CheckFailed(f"`{name}` is not defined: run the cell where you set it")
        return outcome.value

    def attempt(self, name, *args, own_code=False, **kwargs):
        message = {"op": "call", "name": name, "args": [codec.encode(a) for a in args],
                   "kwargs": {k: codec.encode(v) for k, v in kwargs.items()},
                   "own_code": own_code, "seconds": self.call_seconds}
        return self._request(message, self.call_seconds)

    def call(self, name, *args, own_code=False, **kwargs):
        return returned(self.attempt(name, *args, own_code=own_code, **kwargs), name, args, kwargs)

    def _request(self, message, seconds):
        try:
            return _outcome(self.sandbox.request(message, seconds))
        except SandboxGone as gone:
            call = describe_call(message["name"], (), {}) if "name" in message else "this check"
            raise CheckFailed(f"could not check {call}: {gone}") from None


def _outcome(reply):
    if "error_types" in reply:
        return Outcome(error_types=tuple(reply["error_types"]), message=reply["message"])
    return Outcome(value=codec.decode(reply["value"]))


# ---------------------------------------------------------------- starting the server

_server = {}


def server_socket():
    """The socket of a running sandbox server: the driver's shared one, or one started for this process."""
    shared = os.environ.get(ENV_SOCKET)
    if shared and os.path.exists(shared):
        return shared
    prestart()
    return wait_for_server(_server["path"])


def prestart():
    """Start this process's server now (it takes seconds to import torch) unless there is one."""
    if not os.environ.get(ENV_SOCKET) and "path" not in _server:
        start_server()


def start_server():
    """Start a server for this process (it stops when this process ends); returns its socket path."""
    folder = tempfile.mkdtemp(prefix="convgrade-sandbox-")
    path = os.path.join(folder, "socket")
    process = subprocess.Popen([sys.executable, "-m", "convgrade.sandbox", path, str(os.getpid())],
                               stdin=subprocess.DEVNULL)
    _server.update(path=path, process=process, folder=folder)
    atexit.register(stop_server)
    return path


def wait_for_server(path, seconds=120):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        process = _server.get("process")
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the sandbox server exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the sandbox server did not start within {seconds} s")
        time.sleep(0.05)
    return path


def stop_server():
    process = _server.pop("process", None)
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(10)
    _server.pop("path", None)
    folder = _server.pop("folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
