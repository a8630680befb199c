"""The notebook's kernel, started inside its submission's sandbox and driven by nbclient as usual.

nbgrader's Execute (nbclient) asks a kernel manager for a kernel; SandboxedKernelManager starts
ipykernel inside an isolation.Box holding a private copy of the submission's folder. The kernel
talks to nbclient over ZeroMQ's IPC transport, through sockets in a folder shared with the box
(no network inside). What the kernel may send back is bounded at the socket (ZMQ_MAXMSGSIZE):
a reply larger than that disconnects the kernel instead of filling the grader's memory.

The kernelspec is not read: the venv's kernelspec is a file student code could once rewrite.
The kernel is always this grader's interpreter running ipykernel.
"""
import json
import subprocess
import os
import sys

import zmq
import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict, Instance, Integer, List, Unicode, default

from . import isolation

MAX_MESSAGE_BYTES = 32 << 20
PACKAGE = os.path.dirname(os.path.abspath(__file__))  # convgrade, visible read-only in the box


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in a bubblewrap sandbox (or, unisolated, in a copy)."""

    settings = Instance(isolation.Isolation, allow_none=True)
    read_only = List(Unicode(), help="more host paths the kernel may read")
    forbid = Dict(help="the assignment's forbidden libraries (content.Content.forbid())")
    max_message_bytes = Integer(MAX_MESSAGE_BYTES).tag(config=True)

    @default("transport")
    def _transport_default(self):
        return "ipc"

    @default("shutdown_wait_time")
    def _shutdown_wait_time_default(self):
        return 1.0

    @default("context")
    def _context_default(self):
        context = super()._context_default()
        context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)  # default for every socket it makes
        return context

    box = None
    _replied = False  # set once the kernel answered (kernel_info): its stderr is no longer of interest

    def client(self, **kwargs):
        # The client makes a ZeroMQ context of its own, without the cap: give it a capped one
        # (its own, which it closes when it stops, after its heartbeat thread).
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        client = super().client(context=context, **kwargs)
        client._created_context = True
        return client

    async def _async_pre_start_kernel(self, **kw):
        settings = self.settings or isolation.Isolation(parent=self)
        settings.check()
        self.box = isolation.Box(settings, files_from=kw.get("cwd"), read_only=[PACKAGE, *self.read_only],
                                 masks=self.forbid.get("paths", ()), name="kernel")
        with open(os.path.join(self.box.run_dir, "forbid.json"), "w") as handle:
            json.dump({k: list(v) if isinstance(v, (list, tuple)) else v
                       for k, v in self.forbid.items() if k != "paths"}, handle)
        os.chmod(os.path.join(self.box.run_dir, "forbid.json"), 0o644)
        self.ip = os.path.join(self.box.run_dir, "kernel")
        self.connection_file = os.path.join(self.box.run_dir, "connection.json")
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        # Always this interpreter (-E -s -P: no PYTHON* variables, no user site folder, nothing from
        # the kernel's folder while the launcher loads), with the assignment's forbidden libraries.
        return [sys.executable, "-E", "-s", "-P", "-m", "convgrade.kernel_launch",
                os.path.join(self.box.run_in, "forbid.json"), "-f", os.path.join(self.box.run_in, "kernel.json"),
                "--HistoryManager.enabled=False", *(extra_arguments or [])]

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # The kernel gets its own connection file, naming the sockets by their path inside the box.
        info = self.get_connection_info(session=False)
        info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in info.items()}
        info["ip"] = os.path.join(self.box.run_in, "kernel")
        path = os.path.join(self.box.run_dir, "kernel.json")
        with open(path, "w") as handle:
            json.dump(info, handle)
        os.chown(path, self.box.uid, self.box.uid)
        os.chmod(path, 0o600)
        kw.pop("cwd", None)
        kw.pop("env", None)
        kernel_cmd = self.box.command(kernel_cmd)
        kw["env"] = self.box.env()
        kw["independent"] = True  # no JPY_PARENT_PID: that pid does not exist in the box's pid namespace
        # What the kernel prints outside cells goes to a file of the box (capped by its file-size
        # limit): said in the grading log if the kernel does not come up.
        self._errors = os.path.join(self.box.folder, "kernel.err")
        kw["stdout"] = subprocess.DEVNULL
        kw["stderr"] = open(self._errors, "wb")
        await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_interrupt_kernel(self):
        # Signals cannot cross into the sandbox's pid namespace: ask over the control channel.
        msg = self.session.msg("interrupt_request", content={})
        self._connect_control_socket()
        self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel  # (AsyncKernelManager binds its public names to the base class)

    async def _async_kill_kernel(self, restart=False):
        await super()._async_kill_kernel(restart=restart)
        if self.box is not None:
            self.box.kill()

    _kill_kernel = _async_kill_kernel

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        errors = getattr(self, "_errors", None)
        if errors and os.path.exists(errors) and not self._replied:
            with open(errors, "rb") as handle:
                tail = handle.read()[-4000:].decode(errors="replace")
            self.log.error("The kernel did not start in its sandbox; what it printed:\n%s", tail)
        if self.box is not None:
            self.box.close()
            self.box = None

    cleanup_resources = _async_cleanup_resources
