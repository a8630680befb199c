"""Bubblewrap sandboxes for student code: one for the notebook's kernel, one for the re-check.

Student code may try anything a process can do, so what protects the grader comes from outside
that process. A `Box` is one bubblewrap container (Debian's `bubblewrap`) holding one process
tree:

- a private copy of the submission's folder is the one writable place (a size-capped tmpfs), and
  `/tmp` is a small tmpfs of its own; everything else is read-only: the interpreter, the virtual
  environment and the system's libraries, and nothing else of the host. No course folder, no
  `source/`, no gradebook, no other submission, no `$HOME` of the instructor;
- no network, its own pid, IPC and UTS namespaces, `--die-with-parent`;
- a non-root uid with no capabilities (`setpriv`), even when the grader runs as root: a uid of its
  own per concurrent sandbox slot, so a fork bomb in one cannot starve another;
- limits on memory and processes (a cgroup where the machine has one, v1 or v2: convgrade.cgroups)
  and on each process's memory, CPU time, open files and file size (rlimits);
- the same CPU weight as every other box (the cgroup's), and a count of the CPU time it used,
  busy children included (`cpu_seconds()`), which the time limits count instead of the clock.

Without bubblewrap (macOS, Linux without user namespaces) grading refuses to start unless the
instructor chose `Isolation.mode = "none"` (`make grade --no-isolation`); the rows are then
flagged "not isolated".
"""
import errno
import fcntl
import functools
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

from traitlets import Enum, Integer, List, Unicode
from traitlets.config import LoggingConfigurable

from . import budget, cgroups

WORK = "/home/student/work"  # where the copy of the submission sits inside a sandbox (and its cwd)
HOME = "/home/student"
RUN = "/run/box"  # a folder shared with the grader (the kernel's connection file and sockets)


class IsolationUnavailable(RuntimeError):
    """Bubblewrap is needed but missing or not working here."""


class Isolation(LoggingConfigurable):
    """How student code is contained (set in nbgrader_config.py as c.Isolation.<name>)."""

    mode = Enum(["bubblewrap", "none"], "bubblewrap",
                help="'bubblewrap' (every submission in its own sandbox) or 'none' (rows flagged "
                     "'not isolated')").tag(config=True)
    memory_mb = Integer(1536, help="memory of one sandbox (its cgroup) and of each process in it").tag(config=True)
    processes = Integer(128, help="processes and threads of one sandbox").tag(config=True)
    open_files = Integer(256, help="open files per process").tag(config=True)
    file_mb = Integer(64, help="largest file a sandbox may write").tag(config=True)
    disk_mb = Integer(256, help="all files a sandbox may write, together").tag(config=True)
    cpu_seconds = Integer(900, help="CPU time of one sandboxed process").tag(config=True)
    uid_base = Integer(61000, help="first uid of the sandbox slots").tag(config=True)
    slots = Integer(256, help="number of sandbox uids (concurrent sandboxes on one machine)").tag(config=True)
    read_only = List(Unicode(), help="more host paths visible (read-only) inside every sandbox").tag(config=True)

    def check(self):
        """Raise IsolationUnavailable (saying what to do) if bubblewrap is asked for but cannot run."""
        if self.mode == "bubblewrap":
            problem = bubblewrap_problem()
            if problem:
                raise IsolationUnavailable(
                    f"bubblewrap cannot sandbox student code here: {problem}. Install Debian's "
                    "'bubblewrap' (Linux with user namespaces), or grade without isolation: "
                    "make grade ARGS=--no-isolation (c.Isolation.mode = 'none'); every row graded "
                    "that way gets the status 'not isolated'.")

    @property
    def isolated(self):
        return self.mode == "bubblewrap"


@functools.lru_cache(maxsize=None)
def bubblewrap_problem():
    """'' if a bubblewrap sandbox starts here, else why not."""
    if not sys.platform.startswith("linux"):
        return f"this is {sys.platform}, not Linux"
    if shutil.which("bwrap") is None:
        return "the 'bwrap' command is not installed"
    if shutil.which("setpriv") is None or shutil.which("prlimit") is None:
        return "'setpriv' and 'prlimit' (util-linux) are not installed"
    try:
        subprocess.run(["bwrap", "--unshare-pid", "--unshare-net", "--die-with-parent", "--ro-bind", "/", "/",
                        "true"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        return f"a trial sandbox failed ({detail.decode(errors='replace').strip() or error})"
    return ""


# ---------------------------------------------------------------- slots: a uid per live sandbox

SLOT_FOLDER = os.path.join(tempfile.gettempdir(), "convgrade-slots")


def _take_slot(base, count):
    """(uid, lock file): a uid no other live sandbox on this machine uses (flock: freed on exit)."""
    os.makedirs(SLOT_FOLDER, mode=0o700, exist_ok=True)
    for uid in range(base, base + count):
        handle = os.open(os.path.join(SLOT_FOLDER, str(uid)), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _reap(uid)
            return uid, handle
        except OSError as error:
            os.close(handle)
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
    raise RuntimeError(f"all {count} sandbox slots are in use")


def _reap(uid):
    """SIGKILL every process still running as uid. A slot is free only when the grader that held it
    is gone, so these are leftovers of its sandbox (seen in CI: a kernel whose bubblewrap outlived
    its grader), and a new sandbox must not share a uid with them: they could signal or trace it."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as handle:
                owner = next(int(line.split()[1]) for line in handle if line.startswith("Uid:"))
            if owner == uid:
                os.kill(int(name), signal.SIGKILL)
        except (OSError, ValueError, StopIteration):
            pass  # gone already, or not ours to kill


# ---------------------------------------------------------------- staging the submission's files

def stage(source, target, max_file, max_total, max_entries=2000):
    """Copy the regular files and folders under `source` into `target` (no links, FIFOs or devices,
    nothing larger than the caps). Returns the relative paths left out."""
    skipped, total, entries = [], 0, 0
    for folder, dirs, files in os.walk(source, followlinks=False):
        relative = os.path.relpath(folder, source)
        for name in list(dirs):
            path = os.path.join(folder, name)
            if os.path.islink(path) or name.startswith(".ipynb_checkpoints"):
                dirs.remove(name)
                continue
            os.makedirs(os.path.join(target, relative, name), mode=0o755, exist_ok=True)
        for name in files:
            entries += 1
            path = os.path.join(folder, name)
            shown = os.path.normpath(os.path.join(relative, name))
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                skipped.append(shown)
                continue
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > max_file or \
                        total + info.st_size > max_total or entries > max_entries:
                    skipped.append(shown)
                    continue
                total += info.st_size
                destination = os.path.join(target, relative, name)
                with open(destination, "wb") as out:
                    shutil.copyfileobj(handle, out)
                os.chmod(destination, 0o644)
    return skipped


# ---------------------------------------------------------------- the box

def _host_paths():
    """Read-only host paths every sandbox needs: the system, the interpreter, the environment."""
    paths = ["/usr", "/etc"]
    for link in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.lexists(link):
            paths.append(link)
    for prefix in (sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))):
        paths.append(os.path.realpath(prefix))
    if os.path.realpath(sys.prefix) != sys.prefix:
        paths.append(sys.prefix)
    return paths


def _clean_env(extra=None):
    env = {
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": HOME, "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra or {})
    return env


class Box:
    """One sandbox: call `popen(argv)` once, then `close()` (also kills everything left inside)."""

    def __init__(self, settings, files_from=None, read_only=(), masks=(), name="box"):
        self.settings = settings
        self.masks = [os.path.realpath(p) for p in masks]  # host paths hidden inside (forbidden libraries)
        self.folder = tempfile.mkdtemp(prefix=f"convgrade-{name}-")
        os.chmod(self.folder, 0o755)
        self.stage_dir = os.path.join(self.folder, "stage")
        self.run_dir = os.path.join(self.folder, "run")
        os.mkdir(self.stage_dir, 0o755)
        os.mkdir(self.run_dir, 0o700)
        self.skipped = []
        if files_from:
            self.skipped = stage(files_from, self.stage_dir, settings.file_mb << 20, settings.disk_mb << 20)
        self.read_only = [os.path.realpath(p) for p in read_only]
        self.uid, self._slot = (_take_slot(settings.uid_base, settings.slots) if settings.isolated
                                else (os.getuid(), None))
        os.chown(self.run_dir, self.uid, self.uid)
        self.group = cgroups.Group(os.path.basename(self.folder))  # also unisolated: it kills leftovers
        self.group.limit(settings.memory_mb << 20, settings.processes)
        self._cpu_seen = 0.0
        self.process = None

    # -- the command line

    @property
    def work_dir(self):
        """The sandbox's cwd, as the sandboxed process sees it (the copy of the submission)."""
        return WORK if self.settings.isolated else os.path.join(self.folder, "home", "work")

    @property
    def run_in(self):
        """The folder shared with the grader (connection files, sockets), as the sandbox sees it."""
        return RUN if self.settings.isolated else self.run_dir

    def _inside(self):
        """(home, stage, tmp) as the sandboxed process sees them."""
        if self.settings.isolated:
            return HOME, "/stage", "/tmp"
        return os.path.join(self.folder, "home"), self.stage_dir, os.path.join(self.folder, "tmp")

    def env(self, extra=None):
        home, _, tmp = self._inside()
        return _clean_env({"HOME": home, "TMPDIR": tmp, "MPLCONFIGDIR": f"{tmp}/matplotlib",
                           "IPYTHONDIR": f"{tmp}/ipython", **(extra or {})})

    def command(self, argv):
        """The full command that runs argv inside this sandbox, in a fresh copy of the staged files."""
        s = self.settings
        _, stage_in, tmp = self._inside()
        enter = [f"echo $$ > {path}" for path in self.group.enter_files]
        prefix = ["/bin/sh", "-c", "; ".join(enter + ['exec "$@"']), "sh"]
        # --data: one process's heap past the sandbox's memory fails at once with MemoryError, where
        # the cgroup's OOM killer would end the kernel after a wait that depends on the machine's load
        # (measured in CI: the cell then ran past its time limit too). The cgroup still caps the box.
        limits = ["prlimit", f"--cpu={s.cpu_seconds}", f"--nofile={s.open_files}",
                  f"--fsize={s.file_mb << 20}", f"--data={s.memory_mb << 20}", "--core=0"]
        if s.isolated:
            limits.append(f"--nproc={s.processes}")  # counted per uid: each slot has its own
        # Inside a sandbox the command is pid 2 in bubblewrap's process group: setsid gives it a group
        # of its own (ipykernel interrupts its own group). Unisolated, Popen started a new session
        # already, and setsid would fork and leave the parent to look like a dead kernel.
        session = "setsid " if s.isolated else ""
        start = ["/bin/sh", "-c", f'mkdir -p {self.work_dir} {tmp}/matplotlib {tmp}/ipython && '
                                  f'cp -R {stage_in}/. {self.work_dir}/ && cd {self.work_dir} && exec {session}"$@"', "sh"]
        if not s.isolated:
            return prefix + limits + ["--"] + start + list(argv)
        drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--no-new-privs",
                "--inh-caps=-all", "--bounding-set=-all", "--"]
        return prefix + limits + ["--"] + self._bwrap() + drop + start + list(argv)

    def _bwrap(self):
        s = self.settings
        args = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
        # The box's own folders first, so that a host path below /tmp or /home (a venv in a fresh
        # clone under /tmp, say) is bound on top of them rather than hidden by them.
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(16 << 20), "--tmpfs", "/tmp",
                 "--perms", "0755", "--dir", "/home",
                 "--perms", "1777", "--size", str(s.disk_mb << 20), "--tmpfs", HOME]
        made, bound = {"/tmp", "/home", HOME}, []
        for path in _host_paths() + self.read_only + list(s.read_only):
            if any(path == b or path.startswith(b + "/") for b in bound):
                continue  # already visible through an earlier bind
            bound.append(path)
            if os.path.islink(path) and os.path.dirname(path) == "/":
                args += ["--symlink", os.readlink(path), path]
                continue
            if not os.path.exists(path):
                continue
            args += self._parents(path, made) + ["--ro-bind", path, path]
        for path in self.masks:  # an empty folder, or an empty file, in place of a forbidden library
            if os.path.isdir(path):
                args += ["--perms", "0755", "--tmpfs", path]
            elif os.path.exists(path):
                args += ["--ro-bind", "/dev/null", path]
        args += ["--ro-bind", self.stage_dir, "/stage",
                 "--perms", "0755", "--dir", os.path.dirname(RUN), "--bind", self.run_dir, RUN,
                 "--chdir", HOME]
        return args

    @staticmethod
    def _parents(path, made):
        """--dir entries (mode 0755, so the sandbox uid can pass) for the folders above path."""
        args = []
        parts = path.strip("/").split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            parent = "/" + "/".join(parts[:depth])
            if parent not in made and parent not in ("/usr", "/etc"):
                made.add(parent)
                args += ["--perms", "0755", "--dir", parent]
        return args

    # -- running

    def popen(self, argv, env=None, pass_fds=(), **kwargs):
        """Start argv in the sandbox (once per box): a new session, stdin from /dev/null."""
        if not self.settings.isolated:
            os.makedirs(os.path.join(self.folder, "tmp"), exist_ok=True)
        self.process = subprocess.Popen(self.command(argv), env=self.env(env), pass_fds=pass_fds,
                                        stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
        return self.process

    # -- what it used

    def cpu_seconds(self):
        """CPU time used so far by everything in the box: its cgroup's count, or else (no cgroup
        accounting) the times of its processes still alive, and of the children they reaped."""
        used = self.group.cpu_seconds()
        if used is None:
            used = budget.process_cpu_seconds(self._processes())
        self._cpu_seen = max(self._cpu_seen, used)  # a process that ended takes its time with it
        return self._cpu_seen

    def threads(self):
        """Thread ids of the box (for the scheduler's run-queue waiting, budget.Meter)."""
        if self.group.folders:
            return self.group.threads()
        threads = []
        for pid in self._processes():
            try:
                threads += [int(t) for t in os.listdir(f"/proc/{pid}/task")]
            except OSError:
                pass
        return threads

    def _processes(self):
        """The box's processes without a cgroup: its uid's (a uid per box when isolated), else its tree."""
        if self.process is None:
            return []
        owners, parents = {}, {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as handle:
                        parents[int(name)] = int(handle.read().rsplit(")", 1)[1].split()[1])
                    owners[int(name)] = os.stat(f"/proc/{name}").st_uid
                except (OSError, ValueError, IndexError):
                    pass
        if self.settings.isolated:
            return [pid for pid, uid in owners.items() if uid == self.uid]
        tree, grown = {self.process.pid}, True
        while grown:
            more = {pid for pid, parent in parents.items() if parent in tree} - tree
            tree |= more
            grown = bool(more)
        return sorted(tree)

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self.group.kill()

    def close(self):
        self.kill()
        self.group.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._slot is not None:
            os.close(self._slot)
            self._slot = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
