"""One control group per sandbox, on cgroup v1 or v2: whichever this machine has, decided here only.

What a box's group gives the grader:

- memory: a cap on the whole box (v1 memory.limit_in_bytes, v2 memory.max), swap off;
- pids: a cap on its processes and threads (pids.max);
- cpu: every box the same weight (v1 cpu.shares, v2 cpu.weight), so a box running twelve busy
  processes gets no more of the machine than a box running one: the scheduler shares the CPU
  between groups first, then inside each group;
- cpu accounting: the CPU time of everything that ran in the box, children that called setsid()
  included (v1 cpuacct.usage, v2 cpu.stat usage_usec): the time limits count this, not the clock;
- kill: everything in the box, wherever it moved its session or process group.

The layout is read from /proc/self/cgroup (which groups this process is in) and
/proc/self/mountinfo (where each hierarchy is mounted, and which of its groups the mount shows);
boxes are made inside the grader's own groups, so a grader run under a delegated cgroup (systemd's
Delegate=yes) needs no more rights than that. What a machine gets is said by `describe()`.

Without cgroups (no mount, or not writable), the box's CPU time is the sum of its processes' own
times from /proc (isolation.Box does that); processes that ended and were reaped outside the box
are then not counted, and nothing shares the CPU fairly between boxes.
"""
import errno
import functools
import os
import signal
import time

V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
V2_CONTROLLERS = ("memory", "pids", "cpu")  # v2 counts CPU time in every group (cpu.stat), no controller needed
V1_SHARES = 1024  # the kernel's default weight in both versions: a box weighs what one ordinary process
V2_WEIGHT = 100   # in the grader's own group weighs


class Layout:
    """Where this process's cgroups are, and which controllers a box can use."""

    def __init__(self, version, folders, missing=(), why=""):
        self.version = version      # 1, 2, or 0 (none usable)
        self.folders = dict(folders)  # v1: controller -> our group's folder; v2: {"": our group's folder}
        self.missing = tuple(missing)  # wanted controllers we cannot use
        self.why = why

    @property
    def controllers(self):
        if self.version == 1:
            return [c for c in V1_CONTROLLERS if c in self.folders]
        if self.version == 2:
            return [c for c in V2_CONTROLLERS if c not in self.missing] + ["cpu accounting"]
        return []

    @property
    def counts_cpu(self):
        return self.version == 2 or (self.version == 1 and "cpuacct" in self.folders)

    @property
    def shares_cpu(self):
        return "cpu" in self.controllers

    def describe(self):
        """One line for the grading log and the instructors' page."""
        if self.version == 0:
            return f"no cgroups ({self.why}): per-process limits only, CPU time not isolated"
        text = f"cgroup v{self.version}: {', '.join(self.controllers)}"
        if self.missing:
            text += f"; not available: {', '.join(self.missing)}"
            if self.why:
                text += f" ({self.why})"
        if not self.shares_cpu:
            text += "; CPU not shared fairly between boxes"
        return text


def _mounts(mountinfo):
    """[(fstype, options, mount root, mount point)] of the cgroup mounts in a mountinfo file."""
    found = []
    with open(mountinfo) as handle:
        for line in handle:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
                continue
            found.append((tail[0], set(tail[2].split(",")) | set(fields[5].split(",")),
                          _unescape(fields[3]), _unescape(fields[4])))
    return found


def _unescape(path):
    return path.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def _inside(mount_root, mount_point, path):
    """The folder of cgroup `path` in a mount of root `mount_root`, or None if the mount does not show it."""
    relative = os.path.relpath(path, mount_root)
    if relative.startswith(".."):
        return None
    return os.path.normpath(os.path.join(mount_point, relative))


def _probe(folder):
    """'' if a child group can be made (and removed) in folder, else why not."""
    probe = os.path.join(folder, f"convgrade-probe-{os.getpid()}")
    try:
        os.mkdir(probe)
    except FileExistsError:
        pass
    except OSError as error:
        return os.strerror(error.errno) if error.errno else str(error)
    try:
        os.rmdir(probe)
    except OSError:
        pass
    return ""


def detect(proc_cgroup="/proc/self/cgroup", mountinfo="/proc/self/mountinfo"):
    """The Layout this process can make boxes in (v1 preferred where its controllers are mounted)."""
    try:
        with open(proc_cgroup) as handle:
            lines = [line.rstrip("\n").split(":", 2) for line in handle if line.count(":") >= 2]
        mounts = _mounts(mountinfo)
    except OSError as error:
        return Layout(0, {}, why=f"cannot read {error.filename}")
    v1_paths = {c: path for _, controllers, path in lines if controllers for c in controllers.split(",")}
    v2_path = next((path for number, controllers, path in lines if number == "0" and not controllers), None)

    folders, refused = {}, []
    for controller in V1_CONTROLLERS:
        if controller not in v1_paths:
            continue
        for fstype, options, root, point in mounts:
            if fstype == "cgroup" and controller in options:
                folder = _inside(root, point, v1_paths[controller])
                if folder and os.path.isdir(folder):
                    problem = _probe(folder)
                    if problem:
                        refused.append(f"{controller}: {problem}")
                    else:
                        folders[controller] = folder
                break
    if folders:
        missing = [c for c in V1_CONTROLLERS if c not in folders]
        return Layout(1, folders, missing, "; ".join(refused))

    v2_mount = next(((root, point) for fstype, _, root, point in mounts if fstype == "cgroup2"), None)
    if v2_path is None or v2_mount is None:
        return Layout(0, {}, why="; ".join(refused) or "none mounted")
    folder = _inside(*v2_mount, v2_path)
    if not folder or not os.path.isfile(os.path.join(folder, "cgroup.controllers")):
        return Layout(0, {}, why="the grader's cgroup v2 group is not visible")
    problem = _probe(folder)
    if problem:
        return Layout(0, {}, why=f"cgroup v2 group not writable: {problem}")
    missing, why = _enable_v2(folder)
    return Layout(2, {"": folder}, missing, why)


def _enable_v2(folder):
    """Enable memory, pids and cpu for the children of folder: (controllers still missing, why)."""
    available = _read(os.path.join(folder, "cgroup.controllers")).split()
    missing, why = [], ""
    for controller in V2_CONTROLLERS:
        if controller in _read(os.path.join(folder, "cgroup.subtree_control")).split():
            continue
        if controller not in available:
            missing.append(controller)
            why = why or "not delegated to the grader's cgroup"
            continue
        try:
            _write(os.path.join(folder, "cgroup.subtree_control"), f"+{controller}")
        except OSError as error:
            missing.append(controller)
            if error.errno == errno.EBUSY:
                why = "the grader's own cgroup holds processes (run it in a delegated cgroup of its own)"
            else:
                why = why or os.strerror(error.errno or 0)
    return missing, why


@functools.lru_cache(maxsize=None)
def layout():
    """This machine's Layout, detected once per process."""
    return detect()


def _read(path):
    with open(path) as handle:
        return handle.read()


def _write(path, value):
    with open(path, "w") as handle:
        handle.write(str(value))


class Group:
    """A box's cgroup (one folder per v1 controller, one folder on v2). Made empty; `enter_files`
    are where a process writes its pid to join; `close()` kills what is inside and removes it."""

    def __init__(self, name, lay=None):
        self.layout = lay or layout()
        self.folders = {}
        for controller, parent in self.layout.folders.items():
            folder = os.path.join(parent, name)
            if folder in self.folders.values():  # v1 controllers mounted together (cpu,cpuacct)
                self.folders[controller] = folder
                continue
            try:
                os.mkdir(folder)
                self.folders[controller] = folder
            except OSError:
                pass

    @property
    def enter_files(self):
        return [os.path.join(folder, "cgroup.procs") for folder in self.folders.values()]

    def _set(self, controller, setting, value):
        """Write one setting; False where the kernel refuses it (or the file does not exist)."""
        folder = self.folders.get(controller)
        if folder is None:
            return False
        try:
            _write(os.path.join(folder, setting), value)
            return True
        except OSError:
            return False

    def limit(self, memory_bytes, processes):
        if self.layout.version == 1:
            self._set("memory", "memory.limit_in_bytes", memory_bytes)
            self._set("memory", "memory.memsw.limit_in_bytes", memory_bytes)  # where swap accounting is on
            self._set("memory", "memory.swappiness", 0)
            self._set("pids", "pids.max", processes)
            self._set("cpu", "cpu.shares", V1_SHARES)
        elif self.layout.version == 2:
            self._set("", "memory.max", memory_bytes)
            self._set("", "memory.swap.max", 0)
            self._set("", "pids.max", processes)
            self._set("", "cpu.weight", V2_WEIGHT)

    def cpu_seconds(self):
        """CPU time used by everything that ever ran in the group, or None where it is not counted."""
        try:
            if self.layout.version == 1 and "cpuacct" in self.folders:
                return int(_read(os.path.join(self.folders["cpuacct"], "cpuacct.usage"))) / 1e9
            if self.layout.version == 2 and "" in self.folders:
                for line in _read(os.path.join(self.folders[""], "cpu.stat")).splitlines():
                    key, _, value = line.partition(" ")
                    if key == "usage_usec":
                        return int(value) / 1e6
        except (OSError, ValueError):
            pass
        return None

    def threads(self):
        """Thread ids now in the group (v1 `tasks`, v2 `cgroup.threads`)."""
        name = "tasks" if self.layout.version == 1 else "cgroup.threads"
        for folder in self.folders.values():
            try:
                return [int(t) for t in _read(os.path.join(folder, name)).split()]
            except (OSError, ValueError):
                continue
        return []

    def processes(self):
        found = set()
        for folder in self.folders.values():
            try:
                found.update(int(p) for p in _read(os.path.join(folder, "cgroup.procs")).split())
            except (OSError, ValueError):
                pass
        return sorted(found)

    def kill(self):
        """SIGKILL everything in the group (v2: cgroup.kill where the kernel has it), until it is empty."""
        if self.layout.version == 2:
            self._set("", "cgroup.kill", 1)
        for _ in range(250):
            alive = self.processes()
            if not alive:
                return True
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        return False

    def close(self):
        self.kill()
        for folder in set(self.folders.values()):
            try:
                os.rmdir(folder)
            except OSError:
                pass
        self.folders = {}
