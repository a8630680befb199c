"""The boxes' control groups: detection on fake v1 and v2 trees, and CPU fairness for real on this machine.

The real tests are judged by the kernel's own accounting (cpuacct.usage of each box's group, read
from outside the boxes). The cgroup v2 code path cannot run on a cgroup v1 host: it is checked
against a fake tree in a temporary folder with the kernel's file names and formats.
"""
import os
import sys
import time

import pytest

from convgrade import budget, cgroups, isolation


def fake_tree(tmp_path, proc_lines, mounts, folders):
    """A /proc/self/cgroup and a mountinfo file, and the group folders (with files) they name."""
    (tmp_path / "cgroup").write_text("".join(line + "\n" for line in proc_lines))
    (tmp_path / "mountinfo").write_text("".join(
        f"{30 + n} 23 0:{40 + n} {root} {point} rw,relatime - {fstype} cgroup rw,{options}\n"
        for n, (fstype, root, point, options) in enumerate(mounts)))
    for folder, files in folders.items():
        os.makedirs(folder, exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(folder, name), "w") as handle:
                handle.write(text)
    return str(tmp_path / "cgroup"), str(tmp_path / "mountinfo")


def test_cgroup_v2_with_delegated_controllers_limits_weighs_and_counts_a_box(tmp_path):
    mount = tmp_path / "unified"
    own = mount / "grader.service"
    files = fake_tree(tmp_path, ["0::/grader.service"], [("cgroup2", "/", str(mount), "nsdelegate")],
                      {str(own): {"cgroup.controllers": "cpuset cpu io memory pids\n",
                                  "cgroup.subtree_control": "cpu memory pids\n", "cgroup.procs": "1234\n"}})
    layout = cgroups.detect(*files)
    assert layout.version == 2 and layout.folders == {"": str(own)}
    assert layout.describe() == "cgroup v2: memory, pids, cpu, cpu accounting"
    group = cgroups.Group("box-1", layout)
    folder = own / "box-1"
    assert group.enter_files == [str(folder / "cgroup.procs")]
    group.limit(512 << 20, 64)
    assert {name: (folder / name).read_text() for name in ("memory.max", "memory.swap.max", "pids.max", "cpu.weight")} \
        == {"memory.max": str(512 << 20), "memory.swap.max": "0", "pids.max": "64", "cpu.weight": "100"}
    (folder / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    assert group.cpu_seconds() == 2.5
    (folder / "cgroup.threads").write_text("41\n42\n")
    assert group.threads() == [41, 42]
    (folder / "cgroup.procs").write_text("")
    group.close()
    assert (folder / "cgroup.kill").read_text() == "1" or not folder.exists()


def test_cgroup_v2_without_delegated_controllers_still_counts_cpu_and_says_what_is_missing(tmp_path):
    mount = tmp_path / "unified"
    own = mount / "user.slice" / "session-3.scope"
    files = fake_tree(tmp_path, ["0::/user.slice/session-3.scope"], [("cgroup2", "/", str(mount), "")],
                      {str(own): {"cgroup.controllers": "memory pids\n", "cgroup.subtree_control": ""}})
    layout = cgroups.detect(*files)
    assert layout.version == 2 and layout.missing == ("cpu",)
    assert layout.counts_cpu and not layout.shares_cpu
    assert layout.describe().startswith("cgroup v2: memory, pids, cpu accounting; not available: cpu")
    assert "CPU not shared fairly" in layout.describe()


def test_cgroup_v2_in_a_container_maps_the_group_through_the_mounts_root(tmp_path):
    # cgroup namespace: /proc/self/cgroup says "/", the mount shows the container's own group as its root
    mount = tmp_path / "fs"
    files = fake_tree(tmp_path, ["0::/"], [("cgroup2", "/", str(mount), "")],
                      {str(mount): {"cgroup.controllers": "cpu memory pids\n",
                                    "cgroup.subtree_control": "cpu memory pids\n"}})
    assert cgroups.detect(*files).folders == {"": str(mount)}


def test_cgroup_v1_with_cpu_and_cpuacct_mounted_together(tmp_path):
    # the usual systemd hybrid layout: cpu,cpuacct in one hierarchy; a v2 mount beside it has no controllers
    base = tmp_path / "sys"
    lines = ["12:pids:/system.slice/grader.service", "7:cpu,cpuacct:/system.slice/grader.service",
             "4:memory:/system.slice/grader.service", "0::/system.slice/grader.service"]
    mounts = [("cgroup", "/", str(base / "cpu,cpuacct"), "cpu,cpuacct"), ("cgroup", "/", str(base / "memory"), "memory"),
              ("cgroup", "/", str(base / "pids"), "pids"), ("cgroup2", "/", str(base / "unified"), "")]
    folders = {str(base / c / "system.slice" / "grader.service"): {} for c in ("cpu,cpuacct", "memory", "pids")}
    layout = cgroups.detect(*fake_tree(tmp_path, lines, mounts, folders))
    assert layout.version == 1
    assert layout.describe() == "cgroup v1: memory, pids, cpu, cpuacct"
    assert layout.folders["cpu"] == layout.folders["cpuacct"] == str(base / "cpu,cpuacct" / "system.slice" / "grader.service")
    group = cgroups.Group("box-2", layout)
    group.limit(1 << 30, 100)
    cpu = base / "cpu,cpuacct" / "system.slice" / "grader.service" / "box-2"
    assert (cpu / "cpu.shares").read_text() == "1024"
    assert (base / "pids" / "system.slice" / "grader.service" / "box-2" / "pids.max").read_text() == "100"
    (cpu / "cpuacct.usage").write_text("1500000000\n")
    assert group.cpu_seconds() == 1.5


def test_no_cgroups_says_per_process_limits_only(tmp_path):
    files = fake_tree(tmp_path, ["0::/"], [], {})
    layout = cgroups.detect(*files)
    assert layout.version == 0 and not layout.counts_cpu
    assert layout.describe() == "no cgroups (none mounted): per-process limits only, CPU time not isolated"


def test_a_meter_tells_a_starved_box_from_an_idle_one():
    class Still:  # a box that used 0.2 s of CPU and has no threads to read
        def cpu_seconds(self):
            return 0.2

        def threads(self):
            return []

    meter = budget.Meter(Still(), cpu_budget=10, wall_budget=0.05)
    assert meter.verdict() is None
    time.sleep(0.06)
    assert meter.verdict() == budget.IDLE
    meter.waited = 1.0  # as if its threads had waited for a CPU most of the time
    assert meter.verdict() == budget.OVERLOADED


# ---------------------------------------------------------------- for real, on this machine

BUSY = "import os, time\ntry:\n    os.setsid()\nexcept OSError:\n    pass\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"
HOG = ("import os, time\nkids = []\nfor _ in range({n}):\n    pid = os.fork()\n    if pid == 0:\n"
       "        os.setsid()\n        end = {clock}() + {seconds}\n        while {clock}() < end:\n            pass\n"
       "        os._exit(0)\n    kids.append(pid)\nfor pid in kids:\n    os.waitpid(pid, 0)\n")

need_cpu_groups = pytest.mark.skipif(
    isolation.bubblewrap_problem() != "" or not cgroups.layout().shares_cpu or not cgroups.layout().counts_cpu,
    reason="needs bubblewrap and writable cpu and cpuacct cgroups")


@need_cpu_groups
def test_a_box_of_six_busy_processes_gets_no_more_cpu_than_a_box_of_one():
    settings = isolation.Isolation()
    seconds = 6
    with isolation.Box(settings, name="hog") as hog, isolation.Box(settings, name="honest") as honest:
        hog.popen([sys.executable, "-I", "-c", HOG.format(n=6, seconds=seconds, clock="time.time")])
        honest.popen([sys.executable, "-I", "-c", BUSY.format(seconds=seconds)])
        time.sleep(1)  # both running: measure the middle of the run
        start = hog.group.cpu_seconds(), honest.group.cpu_seconds()
        time.sleep(seconds - 2)
        used = hog.group.cpu_seconds() - start[0], honest.group.cpu_seconds() - start[1]
        hog.process.wait(30)
        honest.process.wait(30)
    print(f"CPU seconds over {seconds - 2} s: six busy processes {used[0]:.2f}, one {used[1]:.2f}")
    # without a group of their own, six sessions would take about six times what the one gets
    assert used[0] < 1.5 * used[1], used


@need_cpu_groups
def test_a_box_counts_the_cpu_time_of_children_that_left_its_session():
    with isolation.Box(isolation.Isolation(), name="hog") as box:
        # each child spins for 1.5 s of its own CPU time, however busy the machine is
        box.popen([sys.executable, "-I", "-c", HOG.format(n=3, seconds=1.5, clock="time.process_time")])
        box.process.wait(60)
        used = box.cpu_seconds()
        threads = box.threads()
    assert used >= 3 * 1.5, used  # the three children's busy time, each in its own session
    assert threads == []  # all ended


@pytest.mark.skipif(isolation.bubblewrap_problem() != "", reason="needs bubblewrap")
def test_without_cgroups_a_box_counts_its_processes_own_cpu_time(monkeypatch):
    # as on a machine with no writable cgroup: the box's uid's processes, from /proc
    monkeypatch.setattr(cgroups, "layout", lambda: cgroups.Layout(0, {}, why="none mounted"))
    spin = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    end = time.process_time() + 1.5\n"
            "    while time.process_time() < end:\n        pass\n    time.sleep(60)\n    os._exit(0)\ntime.sleep(60)\n")
    with isolation.Box(isolation.Isolation(), name="plain") as box:
        assert box.group.folders == {}
        box.popen([sys.executable, "-I", "-c", spin])
        deadline = time.monotonic() + 60
        while box.cpu_seconds() < 1.5 and time.monotonic() < deadline:
            time.sleep(0.2)
        used = box.cpu_seconds()
    assert 1.5 <= used < 5, used
