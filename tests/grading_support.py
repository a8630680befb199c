"""Shared by the grading tests: course copies, running the driver, a real PostgreSQL server.

A test must be able to fail, so the servers and sandboxes are real: bubblewrap (the grading
sandboxes) and PostgreSQL (Debian's, started here on a Unix socket in a temporary folder, as the
`postgres` system user, and stopped afterwards). Where one is missing the tests that need it skip,
unless CI asks for it (CONVGRADE_REQUIRE_SANDBOX / CONVGRADE_REQUIRE_POSTGRES), then they fail.
"""
import csv
import glob
import os
import pathlib
import pwd
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
SECRET = "5f2d0c1e9b7a4c3d8e6f1a2b3c4d5e6f"  # a fixed course secret: the same inputs on every run


def require(problem, variable, what):
    """Skip (or, when CI sets `variable`, fail) a test that needs what is missing."""
    if not problem:
        return
    if os.environ.get(variable):
        pytest.fail(f"{what} is required here ({variable}) but: {problem}")
    pytest.skip(f"{what}: {problem}")


def require_sandbox():
    from convgrade.isolation import bubblewrap_problem
    require(bubblewrap_problem(), "CONVGRADE_REQUIRE_SANDBOX", "bubblewrap")


def course_copy(folder, students=None, assignments=None):
    """A course folder as an instructor has it after collecting: source, release, config, a secret,
    and the demo class (only `students`, and only `assignments`, when given)."""
    from demo_class.make_demo_class import SUBMITTED
    folder.mkdir(parents=True)
    for name in ("source", "exercises"):
        shutil.copytree(ROOT / name, folder / name, symlinks=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    (folder / ".convgrade_secret").write_text(SECRET + "\n")
    shutil.copytree(SUBMITTED, folder / "submitted")
    for student in list((folder / "submitted").iterdir()):
        if students is not None and student.name not in students:
            shutil.rmtree(student)
        elif assignments is not None:
            for work in student.iterdir():
                if work.name not in assignments:
                    shutil.rmtree(work)
    if assignments is not None:
        for kind in ("source", "exercises"):
            for work in (folder / kind).iterdir():
                if work.is_dir() and work.name not in assignments:
                    shutil.rmtree(work)
    return folder


def grade(course, *args, timeout=1500):
    """Run `make grade`'s driver on course; the CompletedProcess."""
    return subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(course), *args],
                          env=ENV, capture_output=True, text=True, timeout=timeout)


def read_csv(path):
    with open(path, newline="") as handle:
        return {(row["student_id"], row["assignment"]): row for row in csv.DictReader(handle)}


# ---------------------------------------------------------------- a real PostgreSQL server

def postgres_problem():
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "Debian's postgresql is not installed"
    if os.getuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "there is no postgres user to run the server as"
    return ""


class Postgres:
    """A PostgreSQL server on a Unix socket in `folder`, no TCP at all; .url is its SQLAlchemy URL."""

    def __init__(self):
        import tempfile
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        # its own folder under /tmp: pytest's are private to root, and the server runs as postgres
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="convgrade-postgres-"))
        self.data, self.socket = self.folder / "data", self.folder / "socket"
        self.socket.mkdir(parents=True)
        self.user = pwd.getpwnam("postgres") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        os.chown(self.socket, self.user.pw_uid, self.user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "grader", "--auth=trust", "-E", "UTF8")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-o",
                  f"-c listen_addresses='' -k {self.socket} -c fsync=off", "start")
        self._run("createdb", "-h", str(self.socket), "-U", "grader", "gradebook")
        self.url = f"postgresql://grader@/gradebook?host={self.socket}"

    def _run(self, program, *args):
        command = [os.path.join(self.bin, program), *args]
        if os.getuid() == 0:
            command = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--init-groups",
                       *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.folder)

    def stop(self):
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def with_database(course, url):
    """Point the course's nbgrader_config.py at db_url."""
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
