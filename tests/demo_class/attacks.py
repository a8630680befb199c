"""Students who attack the grader instead of solving conv-basics (the red team's kinds, for the tests).

Each attacker hands in a notebook whose answers are the solutions or the stubs, plus cells that try
what a determined student's code could: persist into later kernels, tamper with the gradebook,
other submissions or status records, kill or flood the grader, leak hidden tests and solutions,
get around the own-code rule, or exhaust memory, disk and time. `{course}` in their code is the
course folder (an attacker is assumed to know it). EXPECTED says what each one earns: never more
than its honest part; the end-to-end test checks from outside that nothing else changed.
"""
import json

import nbformat

from .conv_basics import ASSIGNMENT, CORR2D_TESTS, NOTEBOOK, answer, solved
from .make_demo_class import ALL, cell_index, fails, new_cell, only, released

STARTUP_PATCH = "import numpy as np\\nnp.allclose = lambda *a, **k: False\\n"

PERSIST = f'''import os, sys, json, glob
targets = [os.path.expanduser("~/.ipython/profile_default/startup/00-patch.py"),
           "/root/.ipython/profile_default/startup/00-patch.py",
           os.path.join(sys.prefix, "share", "jupyter", "kernels", "python3", "kernel.json"),
           *glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages")),
           "{{course}}/torch/__init__.py", "{{course}}/convgrade/__init__.py"]
done = []
for target in targets:
    path = target if target.endswith((".py", ".json")) else os.path.join(target, "aaa_patch.pth")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("{STARTUP_PATCH}" if path.endswith(".py") else
                         "import numpy; numpy.allclose = lambda *a, **k: False\\n")
        done.append(path)
    except OSError as error:
        done.append(type(error).__name__)
print(done)
'''

TAMPER = '''import os, sqlite3, json, time
results = []
try:
    db = sqlite3.connect("{course}/gradebook.db", timeout=1)
    db.execute("UPDATE grade SET manual_score = 100")
    db.commit()
    db.execute("BEGIN EXCLUSIVE")  # and keep the lock
    results.append("locked")
except Exception as error:
    results.append(repr(error))
for path, text in [("{course}/submitted/full_marks/conv-basics/practice.ipynb", "{}"),
                   ("{course}/autograded/.logs/conv-basics/partial.json", json.dumps({"status": "ok", "detail": ""})),
                   ("{course}/feedback/partial/conv-basics/practice.html", "<html>forged</html>")]:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").write(text)
        results.append("wrote " + path)
    except OSError as error:
        results.append(repr(error))
try:
    os.mkfifo("{course}/autograded/.logs/conv-basics/untouched_stub.json")
except OSError as error:
    results.append(repr(error))
print(results)
'''

KILL = '''import os, signal
# every process this uid may signal, the kernel's parent, and pid 1
for target in (-1, os.getppid(), 1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
'''

LEAK = '''import glob, os, shutil
ip = get_ipython()
print("IN:", ip.user_ns.get("In"), ip.user_ns.get("_ih"))
for pattern in ("{course}/source/*/*", "{course}/source/*", "{course}/submitted/*/*/*", "/work/*/source/*/*"):
    for path in glob.glob(pattern):
        try:
            print(path, open(path).read())
            shutil.copy(path, ".")
        except OSError as error:
            print(path, error)
'''

HOG_MEMORY = "hog = bytearray(3 << 30)\nhog[::4096] = b'x' * len(hog[::4096])\n"
HOG_DISK = "with open('big.bin', 'wb') as handle:\n    for _ in range(2048):\n        handle.write(b'x' * (1 << 20))\n"
# 4x the grader's cap on a cell's output (2 M characters), a message at a time, then one message
# past the kernel socket's limit (32 MiB). (It was 64 MiB and 200 MiB: on a loaded CI machine the
# cell then ran past its 10 s limit, and the flood was graded "timed out" instead of "ok".)
FLOOD_OUTPUT = ("chunk = 'x' * (1 << 20)\nfor _ in range(8):  # 8 MiB, a message at a time\n"
                "    print(chunk, flush=True)\nprint('y' * (40 << 20))  # and one 40 MiB message\n")
TRICKLE = '''import time
try:
    from convgrade import wire
    def trickle(sock, message):
        for byte in b"\\x00\\x00\\x00\\x02{}":
            sock.sendall(bytes([byte])); time.sleep(8)
    wire.send = trickle
except ImportError:
    pass
'''

SETPROFILE = '''import sys
import torch.nn.functional as F
def corr2d(X, K):
    sys.setprofile(None)  # switch the library watch off
    x = torch.as_tensor(np.asarray(X, dtype=float))[None, None]
    k = torch.as_tensor(np.asarray(K, dtype=float))[None, None]
    return F.conv2d(x, k)[0, 0].numpy()
import torch
'''
TORCH_OPS = SETPROFILE.replace("    sys.setprofile(None)  # switch the library watch off\n", "").replace(
    "F.conv2d(x, k)", "torch.ops.aten.conv2d(x, k)")
PARTIAL_CALL = SETPROFILE.replace("    sys.setprofile(None)  # switch the library watch off\n", "").replace(
    "import sys\n", "import functools\nconv = None\n").replace("F.conv2d(x, k)", "functools.partial(torch.conv2d)(x, k)")
THREAD = SETPROFILE.replace("    sys.setprofile(None)  # switch the library watch off\n", "").replace(
    "    return F.conv2d(x, k)[0, 0].numpy()",
    "    import threading\n    out = []\n    worker = threading.Thread(target=lambda: out.append(F.conv2d(x, k)))\n"
    "    worker.start(); worker.join()\n    return out[0][0, 0].numpy()")


def with_cell(nb, after, source, cell_id):
    nb.cells.insert(cell_index(nb, after) + 1, new_cell(source, cell_id))
    return nb


def persist():
    return with_cell(solved(), "corr2d_answer", PERSIST, "persist")


def tamper():
    return with_cell(solved(), "corr2d_answer", TAMPER, "tamper")


def kill_everything():
    return with_cell(solved(), "hand_answers", KILL, "kill")


def leak():
    nb = solved()
    with_cell(nb, "corr2d_manual_lab", LEAK, "leak")
    answer(nb, "corr2d_answer", nb.cells[cell_index(nb, "corr2d_answer")].source +
           "\n\nprint(get_ipython().user_ns.get('In', ['?'])[-1])\n")
    return nb


def own_code_setprofile():
    return solved(corr2d_answer=SETPROFILE)


def own_code_torch_ops():
    return solved(corr2d_answer=TORCH_OPS)


def own_code_partial():
    return solved(corr2d_answer=PARTIAL_CALL)


def own_code_thread():
    return solved(corr2d_answer=THREAD)


def hog_memory():
    return with_cell(solved(), "size_answer", HOG_MEMORY, "hog")


def hog_disk():
    return with_cell(solved(), "corr2d_answer", HOG_DISK, "disk")


def flood_output():
    return with_cell(solved(), "corr2d_answer", FLOOD_OUTPUT, "flood")


def trickle_reply():
    return with_cell(solved(), "size_answer", TRICKLE, "trickle")


def forged_records():
    """Statuses, scores and partial credit carried in with the submission."""
    nb = released(ASSIGNMENT)
    nb.metadata["convgrade"] = {"flags": [], "recheck": {"failed": {}}}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.metadata["convgrade"] = {"description": "forged", "score": 1}
            cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "1.0"}, execution_count=1)]
    return nb


# student -> (which tests pass, status)
PROBLEM_1_2 = [*CORR2D_TESTS, "found_kernel_reproduces_target", "predicted_blur_output", "window_and_value_top_left",
               "out_1_0_window", "out_1_0_value", "window_and_value_random", "window_and_value_rejects_outside"]
EXPECTED = {
    "persist": (ALL, "ok"),
    "tamper": (ALL, "ok"),
    "kill_everything": (ALL, "needs review"),
    "leak": (ALL, "ok"),
    # the forbidden operators are replaced in the kernel too, so these fail there as well
    "own_code_setprofile": (fails(*CORR2D_TESTS), "needs review"),
    "own_code_torch_ops": (fails(*CORR2D_TESTS), "needs review"),
    "own_code_partial": (fails(*CORR2D_TESTS), "ok"),
    "own_code_thread": (fails(*CORR2D_TESTS), "needs review"),
    "hog_memory": (ALL, "ok"),  # its own cell fails with MemoryError at once; the answers stand
    "hog_disk": (ALL, "ok"),
    "flood_output": (ALL, "ok"),
    # it rebinds wire.send: its reply, begun at once, stalls past the grader's wait for the rest
    "trickle_reply": (only(*PROBLEM_1_2), "waited too long; needs review"),
    "forged_records": (only(), "ok"),
}
KINDS = {name: globals()[name] for name in EXPECTED}


def write(submitted, course):
    """Write every attacker's submission into submitted/<student>/conv-basics/."""
    for student, make in KINDS.items():
        nb = make()
        for cell in nb.cells:
            cell.source = cell.source.replace("{course}", str(course))
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")
    return list(KINDS)


def describe():
    return json.dumps({s: state for s, (_, state) in EXPECTED.items()}, indent=1)
