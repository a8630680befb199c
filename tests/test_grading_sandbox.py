"""Attacks on the sandboxes, judged from outside the sandboxed process.

isolation.Box is what every student's kernel and re-check run in; replay.Replay is the re-check
process and its proxies. Each test does what a determined student's code could do, then checks
from the grader's side that it did not work: the course and other folders are out of sight, the
host is unchanged, limits hold, nothing survives, and no object of the student's decides a test.
"""
import ast
import os
import pathlib
import signal
import subprocess
import sys
import time

import psutil
import pytest

from convgrade import isolation, replay
from convgrade.content import library_paths
from convgrade.judge import run_test, builtins_for_tests, trusted_helpers

ROOT = pathlib.Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(isolation.bubblewrap_problem() != "", reason=isolation.bubblewrap_problem() or "x")


def settings(**limits):
    return isolation.Isolation(**limits)


def run_in_box(code, files=None, timeout=60, **limits):
    """(exit code, output) of python -c code in a fresh Box holding `files`."""
    with isolation.Box(settings(**limits), files_from=files) as box:
        process = box.popen([sys.executable, "-I", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out, _ = process.communicate(timeout=timeout)
        finally:
            box.kill()
        return process.returncode, out.decode(errors="replace")


@pytest.fixture
def submission(tmp_path):
    folder = tmp_path / "submitted" / "alice" / "a"
    folder.mkdir(parents=True)
    (folder / "answer.py").write_text("X = 1\n")
    return folder


def test_a_box_runs_as_a_non_root_uid_without_capabilities_network_or_the_course(submission):
    code, out = run_in_box(
        "import os, socket, json\n"
        "status = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
        "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=2); net = 'open'\n"
        "except OSError as e:\n    net = type(e).__name__\n"
        f"print(json.dumps({{'uid': os.getuid(), 'cap': status['CapEff'].strip(), 'net': net,"
        f" 'course': os.path.exists({str(ROOT / 'source')!r}), 'home': os.path.exists('/root/.ssh') or os.path.exists('/root/.bashrc'),"
        " 'files': sorted(os.listdir('.')), 'pids': len(os.listdir('/proc'))}))", files=submission)
    assert code == 0, out
    import json
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["uid"] >= 1000 and seen["cap"] == "0000000000000000"
    assert seen["net"] != "open" and not seen["course"] and not seen["home"]
    assert seen["files"] == ["answer.py"]


def test_only_the_box_folder_is_writable_and_nothing_outside_changes(submission, tmp_path):
    watched = [ROOT / "nbgrader_config.py", pathlib.Path(sys.prefix) / "pyvenv.cfg", submission / "answer.py"]
    before = {p: p.read_bytes() for p in watched}
    targets = [str(p) for p in watched] + [os.path.join(sys.prefix, "lib", "evil.pth"),
                                           os.path.expanduser("~/.ipython/profile_default/startup/00-evil.py")]
    code, out = run_in_box(
        "import os\nresults = []\n"
        f"for path in {targets!r}:\n"
        "    try:\n        os.makedirs(os.path.dirname(path), exist_ok=True); open(path, 'w').write('pwned')\n"
        "        results.append('wrote ' + path)\n"
        "    except OSError as e:\n        results.append(type(e).__name__)\n"
        "open('mine.txt', 'w').write('fine')\nprint(results)", files=submission)
    results = eval(out.strip().splitlines()[-1])  # noqa: S307 (our own print of a list of str)
    assert not results[1].startswith("wrote") and not results[3].startswith("wrote"), out  # the venv is read-only
    # (a path that exists only inside the box, such as its own /tmp, may be written: it vanishes with it)
    assert {p: p.read_bytes() for p in watched} == before
    assert not os.path.exists(targets[-2]) and not os.path.exists(targets[-1])
    assert not (submission / "mine.txt").exists()  # the box wrote its own copy, never the submission


def test_memory_disk_and_file_size_are_capped(submission):
    code, out = run_in_box("x = bytearray(3 << 30)\nprint('allocated')", memory_mb=512)
    assert code == 1 and "MemoryError" in out and "allocated" not in out  # at once, not the OOM killer
    code, out = run_in_box("f = open('big', 'wb')\nfor _ in range(64):\n    f.write(b'x' * (1 << 20))\n",
                           disk_mb=16, file_mb=1024)
    assert code != 0 and "No space left" in out
    code, _ = run_in_box("open('big', 'wb').write(b'x' * (5 << 20))", file_mb=2)
    assert code != 0


def test_the_processes_of_a_box_share_its_memory_where_the_machine_has_cgroups():
    # each child stays under the per-process limit; four of them together do not fit in 512 MB
    code = ("import os\nkids = []\nfor _ in range(4):\n    pid = os.fork()\n    if pid == 0:\n"
            "        x = bytearray(300 << 20); x[::4096] = b'x' * len(x[::4096]); import time; time.sleep(5); os._exit(0)\n"
            "    kids.append(pid)\nprint('signals', sorted(os.waitpid(k, 0)[1] & 0x7f for k in kids))")
    with isolation.Box(settings(memory_mb=512)) as box:
        if "memory" not in box.group.folders:
            pytest.skip("no writable memory cgroup on this machine: only the per-process limit applies")
        process = box.popen([sys.executable, "-I", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = process.communicate(timeout=60)[0].decode()
    assert "signals" in out and signal.SIGKILL in ast.literal_eval(out.split("signals", 1)[1].strip()), out


def test_a_fork_bomb_is_contained_and_leaves_nothing_behind():
    # its own uid range, so that only this box's processes count
    code, out = run_in_box(
        "import os, time\nkids = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(60); os._exit(0)\n"
        "        kids += 1\nexcept OSError:\n    print('stopped after', kids)\n", processes=32, timeout=60,
        uid_base=64100, slots=4)
    assert "stopped after" in out and int(out.split()[-1]) < 40
    time.sleep(0.5)
    leftovers = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and 64100 <= p.info["uids"].real < 64104]
    assert leftovers == [], "a killed box leaves no process behind"


def test_a_new_box_kills_what_a_dead_grader_left_running_under_its_uid():
    # a leftover that outlived its grader (no box holds the slot any more), as seen in CI
    stray = subprocess.Popen(["setpriv", "--reuid=64200", "--regid=64200", "--clear-groups", "sleep", "300"])
    try:
        time.sleep(0.5)
        assert stray.poll() is None
        with isolation.Box(settings(uid_base=64200, slots=1)) as box:
            assert box.uid == 64200
            assert stray.wait(timeout=10) == -signal.SIGKILL
    finally:
        stray.kill()


def test_a_process_that_escapes_into_the_background_dies_with_the_box():
    with isolation.Box(settings()) as box:
        box.popen(["/bin/sh", "-c", "setsid sleep 300 & setsid sleep 301 & exec sleep 302"])
        time.sleep(1)
        uid = box.uid
        assert [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]
    time.sleep(0.5)
    assert [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid] == []


def test_two_boxes_get_different_uids_and_cannot_see_each_other():
    with isolation.Box(settings()) as first, isolation.Box(settings()) as second:
        assert first.uid != second.uid
        first.popen(["sleep", "30"])
        code, out = run_in_box("import os\nprint(sorted(os.listdir('/proc')))")
        assert "sleep" not in out


# ---------------------------------------------------------------- the re-check process and its proxies

CONTENT_FORBID = {"modules": ["convlab", "scipy.signal"], "reason": "own code",
                  "torch_ops": ["convolution", "_convolution", "conv2d"],
                  "paths": library_paths(["convlab", "scipy.signal"])}


@pytest.fixture
def box(submission):
    with replay.Replay(settings(), submission, CONTENT_FORBID, total_seconds=120) as running:
        yield running


def judged(box, source, cells=()):
    for cell in cells:
        box.run_cell(cell, seed=1, seconds=20)
    namespace = replay.RemoteNamespace(box, {**trusted_helpers(2), "__builtins__": builtins_for_tests()}, 2)
    return run_test(source, "t", namespace, seed=1)


def test_data_comes_back_by_value_and_functions_run_in_the_box(box):
    result = judged(box, "assert np.allclose(double(np.arange(3)), [0, 2, 4])\nassert name == 'x'",
                    ["import numpy as np\ndef double(x):\n    return 2 * x\nname = 'x'"])
    assert result.passed, result.message


def test_the_students_numpy_and_builtins_decide_nothing(box):
    cells = ["import numpy as np\nnp.allclose = lambda *a, **k: True\nall = lambda *a: True\n"
             "def zeros(x):\n    return np.zeros(3)"]
    assert not judged(box, "assert np.allclose(zeros(1), [1, 2, 3])", cells).passed
    assert not judged(box, "assert all([False])").passed


def test_student_objects_cannot_be_compared_or_truth_tested(box):
    cells = ["class Liar:\n    def __eq__(self, other): return True\n    def __ne__(self, other): return False\n"
             "    def __bool__(self): return True\n    def __array__(self, *a, **k):\n        import numpy; return numpy.ones(3)\n"
             "def answer():\n    return Liar()"]
    for test in ["assert answer() == 3", "assert not (answer() != 3)", "assert answer()",
                 "import numpy as np\nassert np.allclose(answer(), np.ones(3))"]:
        assert not judged(box, test, cells).passed, test


@pytest.mark.parametrize("trick", [
    "import torch.nn.functional as F\ndef conv(x, w):\n    return F.conv2d(x, w)",
    "import torch\ndef conv(x, w):\n    return torch.ops.aten.conv2d(x, w)",
    "import torch, functools\nc = functools.partial(torch.conv2d)\ndef conv(x, w):\n    return c(x, w)",
    "import torch, threading\ndef conv(x, w):\n    out = []\n    t = threading.Thread(target=lambda: out.append(torch.conv2d(x, w)))\n"
    "    t.start(); t.join()\n    return out[0]",
    "import sys, torch\nsys.setprofile(None)\ndef conv(x, w):\n    return torch.nn.Conv2d(1, 1, 3, bias=False).forward(x)",
    "import scipy.signal\ndef conv(x, w):\n    return scipy.signal.correlate(x, w)",
    "import importlib, sys\nsys.meta_path.clear()\ndef conv(x, w):\n    return importlib.import_module('scipy.signal').correlate(x, w)",
])
def test_forbidden_libraries_are_absent_or_replaced_whatever_the_route(box, trick):
    test = ("import torch\nx, w = torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3)\n"
            "out = conv(x, w)\nassert torch.is_tensor(out) or out is not None")
    assert not judged(box, test, [trick]).passed


def test_an_endless_loop_times_out_once_and_is_not_run_again(box):
    # counted in the box's CPU time, which a busy machine does not stretch (15 s of wall-clock time
    # was not enough at load 30): one run of 2 s, not five
    before = box.box.cpu_seconds()
    result = judged(box, "for _ in range(5):\n    spin()", ["def spin():\n    while True:\n        pass"])
    assert result.kind == "timed out" and box.box.cpu_seconds() - before < 4


def test_the_limit_counts_computing_and_the_grader_stops_waiting_from_outside(submission):
    # judged() gives each call 2 s. Waiting 3 s computes nothing: a busy machine, as far as the
    # box's CPU-time limit can tell, so it passes. Waiting for ever is stopped by the grader's
    # wall-clock deadline, from outside the box, and counts as timed out.
    with replay.Replay(settings(), submission, total_seconds=120) as running:
        assert judged(running, "assert patient() == 1", ["import time\ndef patient():\n    time.sleep(3)\n"
                                                         "    return 1\ndef asleep():\n    time.sleep(600)"]).passed
        started = time.monotonic()
        result = judged(running, "asleep()")
        assert result.kind == "gone" and running.timed_out and running.stopped == "waited too long"
        assert time.monotonic() - started < replay.wall_limit(2) + 2


def test_a_loop_that_swallows_the_time_limit_is_killed_from_outside(submission):
    with replay.Replay(settings(), submission, total_seconds=60) as running:
        running.run_cell("import signal\ndef stubborn():\n    for number in (signal.SIGALRM, signal.SIGPROF, signal.SIGVTALRM):\n"
                         "        signal.signal(number, signal.SIG_IGN)\n"
                         "    while True:\n        pass", seed=1, seconds=5)
        result = judged(running, "stubborn()")
        assert result.kind == "gone" and running.timed_out
        assert not psutil.pid_exists(running.box.process.pid) or psutil.Process(running.box.process.pid).status() == "zombie"


def test_exiting_the_process_ends_only_this_recheck(submission):
    with replay.Replay(settings(), submission, total_seconds=60) as first, \
            replay.Replay(settings(), submission, total_seconds=60) as second:
        assert not first.run_cell("import os\nos.kill(1, 9)", seed=1, seconds=5)  # the box's init is not ours
        with pytest.raises(replay.ReplayGone):
            first.run_cell("os._exit(3)", seed=1, seconds=5)
        assert judged(first, "x = anything").kind == "gone"
        assert judged(second, "assert ok == 2", ["ok = 2"]).passed


def test_a_flood_of_data_is_refused_without_filling_the_grader(submission):
    with replay.Replay(settings(), submission, total_seconds=60) as running:
        before = psutil.Process().memory_info().rss
        cells = ["import numpy as np\ndef text():\n    return 'x' * (400 << 20)\n"
                 "def arrays():\n    return [np.ones(900_000)] * 40"]
        assert not judged(running, "assert isinstance(text(), str)", cells).passed  # it stays in the box
        assert not judged(running, "assert len(arrays()) == 40").passed  # a 290 MB reply is refused there
        assert psutil.Process().memory_info().rss - before < 200 << 20


def test_the_overall_deadline_is_kept_from_outside(submission):
    # (10 s: the re-check's start alone took 3 s of wall-clock time on a 2-core machine at load 16)
    with replay.Replay(settings(), submission, total_seconds=10) as running:
        running.run_cell("import time", seed=1, seconds=10)
        time.sleep(11)
        with pytest.raises(replay.ReplayGone):
            running.request({"op": "lookup", "name": "time"})
        assert running.box.process.poll() is not None


def test_a_reply_trickled_byte_by_byte_does_not_stretch_the_deadline(submission):
    cell = ("import socket, sys, time\nfrom convgrade import wire\n"
            "def trickle(sock, message):\n    data = b'\\x00\\x00\\x00\\x10' + b'{' * 16\n"
            "    for byte in data:\n        sock.sendall(bytes([byte])); time.sleep(1)\n"
            "wire.send = trickle\n")
    with replay.Replay(settings(), submission, total_seconds=120) as running:
        started = time.monotonic()
        with pytest.raises(replay.ReplayGone):  # the reply to this very cell already trickles
            running.run_cell(cell, seed=1, seconds=2)
        assert time.monotonic() - started < replay.wall_limit(2) + 2
