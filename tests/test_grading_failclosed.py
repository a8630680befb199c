"""Rules that used to fail open, the grader's own work per submission, and links in a submission folder.

Unit tests first (each piece on small inputs built here), then the attackers of
demo_class/failclosed.py graded for real, by `make grade`'s driver and by plain nbgrader, on two
copies of a small course: every row exact, no byte of the course secret or the hidden checks in
any autograded file or feedback page, the grader's time and memory per submission within the
bounds the instructors' page states.
"""
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from convgrade import content, exporter, forbid, links
from convgrade.status import flags_of

ROOT = pathlib.Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- links in a submission folder

@pytest.fixture()
def planted(tmp_path):
    """A submission folder with a notebook, an ordinary file, and every kind of entry that must not be read."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the course secret\n")
    folder = tmp_path / "submitted" / "mallory" / "work"
    (folder / "data").mkdir(parents=True)
    (folder / "practice.ipynb").write_text(nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")])))
    (folder / "data" / "mine.csv").write_text("1,2\n")
    os.symlink(secret, folder / "notes.txt")
    os.link(secret, folder / "data" / "copy.txt")
    os.symlink(tmp_path, folder / "everything")
    os.mkfifo(folder / "pipe")
    return folder


def test_only_regular_files_with_one_link_and_real_folders_are_read(planted):
    files, refused = links.read_regular_tree(planted)
    assert sorted(files) == ["data/mine.csv", "practice.ipynb"]
    assert set(refused) == {"notes.txt", "data/copy.txt", "everything", "pipe"}
    assert refused["notes.txt"] == "a symbolic link" and refused["data/copy.txt"].startswith("a hard link")
    assert refused["pipe"].startswith("not a regular file")
    assert links.refused_entries(planted) == refused


def test_quarantine_moves_the_links_themselves_aside_where_nbgrader_copies_nothing(planted):
    from nbgrader.utils import find_all_files
    from traitlets.config.loader import PyFileConfigLoader
    secret_before = (planted.parents[2] / "secret.txt").read_text()
    links.quarantine_links(notebooks=[str(planted / "practice.ipynb")])
    ignore = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config().CourseDirectory.ignore
    copied = sorted(os.path.relpath(p, planted) for p in find_all_files(str(planted), ignore + ["*.ipynb"]))
    assert copied == ["data/mine.csv"]  # what nbgrader's autograde copies next to the notebook
    assert (planted / links.REFUSED_FOLDER / "notes.txt").is_symlink()
    assert (planted.parents[2] / "secret.txt").read_text() == secret_before  # the target is untouched
    # still named by where they were, for the status
    assert set(links.refused_entries(planted)) == {"notes.txt", "data/copy.txt", "everything", "pipe"}


def test_a_planted_quarantine_folder_is_itself_moved_aside(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "practice.ipynb").write_text("{}")
    os.symlink(tmp_path, folder / links.REFUSED_FOLDER)  # would make the grader move links into tmp_path
    os.symlink("/etc/hostname", folder / "host")
    links.quarantine_links(notebooks=[str(folder / "practice.ipynb")])
    assert (folder / links.REFUSED_FOLDER).is_dir() and not (folder / links.REFUSED_FOLDER).is_symlink()
    assert (folder / links.REFUSED_FOLDER / "host").is_symlink() and not (tmp_path / "host").exists()


def export(path, **settings):
    nb, resources = exporter.TolerantNotebookExporter(**settings).from_filename(str(path), resources={})
    return nbformat.reads(nb, as_version=4), resources


def test_a_linked_notebook_is_never_opened_and_grades_as_an_empty_tampered_one(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it would block for ever
    (tmp_path / "work").mkdir()
    os.symlink(fifo, tmp_path / "work" / "practice.ipynb")
    nb, resources = export(tmp_path / "work" / "practice.ipynb")
    assert nb.cells == [] and resources["convgrade"]["unread"][0] == "tampered"
    assert "practice.ipynb is a symbolic link" in resources["convgrade"]["unread"][1]
    solutions = tmp_path / "solutions.ipynb"
    solutions.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("answer = 42")])))
    os.link(solutions, tmp_path / "work" / "hard.ipynb")
    nb, resources = export(tmp_path / "work" / "hard.ipynb")
    assert nb.cells == [] and "is a hard link" in resources["convgrade"]["unread"][1]


def test_the_checks_do_not_depend_on_an_environment_variable_nbgrader_can_leave_behind(tmp_path, monkeypatch):
    # nbgrader's utils.setenv leaves NBGRADER_EXECUTION=autograde set when a submission raises;
    # the link check must hold for the next submission all the same.
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    target = tmp_path / "solutions.ipynb"
    target.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("answer = 42")])))
    (tmp_path / "work").mkdir()
    os.symlink(target, tmp_path / "work" / "practice.ipynb")
    nb, resources = export(tmp_path / "work" / "practice.ipynb")
    assert nb.cells == [] and resources["convgrade"]["unread"][0] == "tampered"


# ---------------------------------------------------------------- caps at intake

def notebook_text(cells=(), metadata=None):
    nb = new_notebook(cells=list(cells))
    nb.metadata.update(metadata or {})
    return nbformat.writes(nb)


def nested(levels):
    """`levels` lists, one inside the next."""
    return json.loads("[" * levels + "]" * levels)


def code_cells(count):
    return [new_code_cell(f"x = {number}") for number in range(count)]


def test_nesting_is_a_corrupt_notebook_before_anything_recurses():
    # the notebook and its metadata are two levels: 2 + 62 lists is the cap of 64
    assert exporter.read_submission(notebook_text(metadata={"notes": nested(62)}))[0] is not None
    nb, state, why = exporter.read_submission(notebook_text(metadata={"notes": nested(63)}))
    assert nb is None and state == "corrupt notebook" and "nested more than 64" in why
    deep = notebook_text().replace('"metadata": {', '"metadata": {"x": ' + "[" * 200_000 + "]" * 200_000 + ",", 1)
    nb, state, why = exporter.read_submission(deep)
    assert nb is None and state == "corrupt notebook"


def test_too_many_cells_or_too_much_markdown_is_too_large():
    caps = exporter.Caps()
    assert exporter.read_submission(notebook_text(code_cells(caps.max_cells)), caps)[0] is not None
    nb, state, why = exporter.read_submission(notebook_text(code_cells(caps.max_cells + 1)), caps)
    assert nb is None and state == "too large" and f"{caps.max_cells + 1} cells" in why
    text = notebook_text([new_markdown_cell("$x$ " * (caps.max_markdown_chars // 4))])
    assert exporter.read_submission(text, caps)[0] is not None
    nb, state, why = exporter.read_submission(notebook_text([new_markdown_cell("$x$ " * (caps.max_markdown_chars // 4)),
                                                             new_markdown_cell("y")]), caps)
    assert nb is None and state == "too large" and "Markdown" in why
    nb, state, why = exporter.read_submission("x" * (caps.max_bytes + 1), caps)
    assert state == "too large"


def test_the_flag_reaches_the_notebook_through_strip_intake(tmp_path):
    from convgrade.sanitize import StripIntake
    path = tmp_path / "practice.ipynb"
    path.write_text(notebook_text(code_cells(exporter.Caps().max_cells + 1)))
    nb, resources = export(path)
    nb, _ = StripIntake().preprocess(nb, resources)
    assert [f["status"] for f in flags_of(nb)] == ["too large"]


def test_math_conversion_is_bounded_and_leaves_escaped_tex():
    from convgrade.feedback import MathToMathML
    formula = r"\frac{a}{b} + x^{2} " * 120  # 2,400 characters: past the formula's cap
    nb = new_notebook(cells=[new_markdown_cell(f"$x^2$ and $${formula}$$ and $<img src=x onerror=alert(1)>$")])
    out, _ = MathToMathML().preprocess(nb, {})
    text = out.cells[0].source
    assert "<math" in text and f"<code>{formula}</code>" in text  # converted, then left as TeX
    assert "<img" not in text
    # at the Markdown cap, the whole conversion stays within a few CPU seconds
    many = r"$\frac{\partial L}{\partial w} = \sum_{a,b} x_{a,b}$ " * (exporter.Caps().max_markdown_chars // 52)
    started = time.process_time()
    out, _ = MathToMathML().preprocess(new_notebook(cells=[new_markdown_cell(many)]), {})
    assert time.process_time() - started < 10
    assert out.cells[0].source.count("<math") <= MathToMathML().max_notebook_chars // 40


def message(kind, body):
    return {"msg_type": kind, "header": {"msg_type": kind, "msg_id": "m"}, "parent_header": {"msg_id": "p"},
            "metadata": {}, "content": body}


def test_output_past_the_notebooks_cap_is_dropped_as_it_arrives_but_errors_stay():
    from convgrade.execution import ResilientExecute
    execute = ResilientExecute(max_notebook_output=1_000, max_notebook_outputs=50)
    execute.reset_execution_trackers()  # (nbclient: as before a notebook runs)
    execute.clear_before_next_output = False  # (nbclient: as before a cell runs)
    execute._notebook_chars, execute._notebook_outputs, execute._notebook_cut = 0, 0, None
    kept = []
    for cell_index in range(10):
        execute._cell_chars, execute._cell_cut = 0, False
        outs = []
        for _ in range(3):
            execute.output(outs, message("stream", {"name": "stdout", "text": "x" * 100}), None, cell_index)
        execute.output(outs, message("error", {"ename": "E", "evalue": "v", "traceback": []}), None, cell_index)
        kept.append(outs)
    assert execute._notebook_cut == 3
    assert all(any(o.output_type == "error" for o in outs) for outs in kept)
    assert sum(len(o.get("text", "")) for outs in kept for o in outs) < 1_000 + 10 * 80


def test_one_cell_flooding_past_its_own_cap_does_not_flag_the_notebook():
    """What a cell's cap dropped holds no memory: it does not count against the notebook's cap (the
    demo class's flood_output floods one cell with far more than the notebook's cap, and is ok)."""
    from convgrade.execution import ResilientExecute
    execute = ResilientExecute(max_cell_output=500, max_notebook_output=1_000, max_notebook_outputs=50)
    execute.reset_execution_trackers()
    execute.clear_before_next_output = False
    execute._notebook_chars, execute._notebook_outputs, execute._notebook_cut = 0, 0, None
    execute._cell_chars, execute._cell_cut = 0, False
    outs = []
    for _ in range(100):  # 10,000 characters in one cell
        execute.output(outs, message("stream", {"name": "stdout", "text": "x" * 100}), None, 0)
    assert execute._notebook_cut is None
    assert sum(len(o.get("text", "")) for o in outs) < 500 + 100


# ---------------------------------------------------------------- forbidden operators fail closed

def test_pytorch_still_lists_its_operators():
    import torch
    if not hasattr(torch._C, "_dispatch_get_all_op_names"):
        pytest.fail("torch._C._dispatch_get_all_op_names is gone in this PyTorch: convgrade.forbid.torch_op_names "
                    "needs another way to list the registered operators")
    names = forbid.torch_op_names(torch)
    assert "aten::slow_conv_dilated3d" in names and "aten::add.Tensor" in names


def test_patterns_forbid_whole_families_in_every_namespace_and_overload():
    import torch
    ops = set(forbid.forbidden_ops(torch, ["*conv*", "*pool*"]))
    for op in ("aten::slow_conv_dilated3d", "aten::slow_conv_dilated3d.out", "aten::conv2d.padding",
               "quantized::conv2d", "mkldnn::_convolution_pointwise", "aten::max_pool2d", "quantized::max_pool2d"):
        assert op in ops, op
    assert not {"aten::add.Tensor", "aten::mm", "aten::unfold", "aten::sum"} & ops
    assert forbid.matches("aten::conv*", "aten::conv2d.padding") and not forbid.matches("aten::conv*", "quantized::conv2d")
    assert forbid.matches("conv2d", "quantized::conv2d") and not forbid.matches("conv2d", "aten::conv2d_x")


def test_an_unlisted_convolution_is_refused_whatever_the_route():
    code = '''
import sys
from convgrade import forbid
forbid.install({"torch_ops": ["*conv*", "*pool*"], "reason": "the assignment's words"})
import torch
x, w = torch.ones(1, 1, 1, 5, 5), torch.ones(1, 1, 1, 3, 3)
def inference():
    with torch.inference_mode():
        return torch.conv2d(x[0], w[0])
routes = {
    "getattr ops": lambda: getattr(torch, "o" + "ps").aten.slow_conv_dilated3d(x, w, [1, 3, 3]),
    "out overload": lambda: torch.ops.aten.slow_conv_dilated3d.out(x, w, [1, 3, 3], out=torch.empty(0)),
    "padding overload": lambda: torch.conv2d(x[0], w[0], padding="same"),
    "inference mode": inference,
    "mkldnn": lambda: torch.mkldnn_convolution(x[0], w[0], None, [0, 0], [1, 1], [1, 1], 1),
    "pooling": lambda: torch.nn.functional.avg_pool2d(x[0], 2),
}
for name, route in routes.items():
    try:
        route()
        print(name, "ALLOWED")
    except ImportError as error:
        print(name, "refused:", error)
print("arithmetic", float((x * 2).sum()))
'''
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "ALLOWED" not in run.stdout, run.stdout
    assert "refused: the PyTorch operator aten::slow_conv_dilated3d is not available when your code is graded: " \
           "the assignment's words" in run.stdout
    assert "arithmetic 50.0" in run.stdout


def write_checks(folder, text):
    (folder / "a").mkdir(parents=True, exist_ok=True)
    (folder / "a" / "checks.py").write_text(text)
    content._loaded.clear()
    return folder / "a" / "checks.py"


@pytest.mark.parametrize("text, field, words", [
    ("FORBIDEN_TORCH_OPS = ['*conv*']\n", "FORBIDEN_TORCH_OPS", "did you mean FORBIDDEN_TORCH_OPS"),
    ("FORBIDDEN_TORCH_OPS = ['convolutoin']\n", "FORBIDDEN_TORCH_OPS", "matches no PyTorch operator"),
    ("FORBIDDEN_MODULES = 'scipy'\n", "FORBIDDEN_MODULES", "list of non-empty strings"),
    ("CALL_SECONDS = 0\n", "CALL_SECONDS", "positive number"),
    ("FORBIDDEN_REASON = None\n", "FORBIDDEN_REASON", "non-empty string"),
])
def test_a_mistyped_checks_file_is_an_error_naming_the_file_and_the_field(tmp_path, text, field, words):
    path = write_checks(tmp_path, text)
    with pytest.raises(content.ChecksError) as error:
        content.load(str(tmp_path), "a")
    assert str(path) in str(error.value) and field in str(error.value) and words in str(error.value)


def test_the_course_checks_load_and_other_capitals_are_left_alone(tmp_path):
    assert content.load(str(ROOT / "source"), "conv-basics").forbidden_torch_ops == ("*conv*", "*pool*")
    write_checks(tmp_path, "MANUAL_IMAGE = [1]\nFORBIDDEN_MODULES = ['scipy']\n")
    assert content.load(str(tmp_path), "a").forbidden_modules == ("scipy",)


def test_the_students_helper_watches_the_same_families():
    code = '''
import sys
sys.path.insert(0, sys.argv[1])
import gradehelp, torch
x, w = torch.ones(1, 1, 1, 5, 5), torch.ones(1, 1, 1, 3, 3)
for name, f in {"ops": lambda: getattr(torch, "o" + "ps").aten.slow_conv_dilated3d(x, w, [1, 3, 3]),
                "pool": lambda: torch.nn.functional.max_pool2d(x[0], 2), "sum": lambda: x.sum()}.items():
    try:
        gradehelp.run_own_code(f)
        print(name, "allowed")
    except gradehelp.ForbiddenLibraryError as error:
        print(name, "refused", error)
'''
    run = subprocess.run([sys.executable, "-c", code, str(ROOT / "source")], capture_output=True, text=True,
                         timeout=300)
    assert "ops refused" in run.stdout and "pool refused" in run.stdout and "sum allowed" in run.stdout, \
        run.stdout + run.stderr[-2000:]
    import fnmatch
    sys.path.insert(0, str(ROOT / "source"))
    try:
        import gradehelp
    finally:
        sys.path.remove(str(ROOT / "source"))
    assert gradehelp._FORBIDDEN_TORCH_PATTERNS == content.load(str(ROOT / "source"), "conv-basics").forbidden_torch_ops
    assert fnmatch.fnmatchcase("slow_conv_dilated3d", gradehelp._FORBIDDEN_TORCH_PATTERNS[0])


# ---------------------------------------------------------------- a test the submission makes un-re-checkable

def graded_cell(grade_id, outputs=()):
    cell = new_code_cell("assert f() == 1", outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": 2.0,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def record(unverified, in_source):
    from convgrade.judge import Verdict
    from convgrade.verify import VerifyOutsideKernel
    from nbgrader import utils
    nb = new_notebook(cells=[graded_cell("shadowed"), graded_cell("honest_limit")])
    unchecked = Verdict(False, "not re-checked", "the test uses the module 'f', which the grader does not load")
    verifier = VerifyOutsideKernel()
    verifier.unverified = unverified
    verifier._record(nb, {"shadowed": (unchecked, unchecked), "honest_limit": (unchecked, unchecked)}, None, None,
                     {}, in_source)
    scores = [utils.determine_grade(cell)[0] for cell in nb.cells]
    return scores, {f["status"]: f["detail"] for f in flags_of(nb)}


@pytest.mark.parametrize("unverified", ["flag", "zero"])
def test_a_test_recheckable_on_the_solutions_but_not_here_scores_0_and_needs_review(unverified):
    scores, flags = record(unverified, {"shadowed": True, "honest_limit": False})
    assert scores[0] == 0
    assert "shadowed (the test uses the module 'f'" in flags["needs review"]
    assert "honest_limit" not in flags["needs review"]
    # a test the grader cannot re-check on the solutions either keeps the setting's treatment
    assert flags["not re-checked"].endswith("honest_limit")
    assert scores[1] == (2.0 if unverified == "flag" else 0)


def test_unknown_on_the_solutions_fails_closed():
    scores, flags = record("flag", {})
    assert scores == [0, 0] and "not re-checked" not in flags and "2 test(s)" in flags["needs review"]


# ---------------------------------------------------------------- graded for real, by both paths

# Both gradings run at once on a shared, busy machine: the course copies give each cell and each
# call of a student's function more time than the course does (c.Execute.timeout, CALL_SECONDS),
# so that a slow machine cannot turn an expected row into "timed out". Nothing else is changed.
UID_BASE, SLOTS = 64000, 256
# The bounds the instructors' page states for one submission at the caps (docs: "What each
# submission may cost the grader"): the grader's own processes (nbgrader, a Dask worker), not
# the sandboxes, which have their own limits.
GRADER_MEMORY_BYTES = 1_500 << 20
HIDDEN_CHECKS_LINE = "def check_corr2d_square_random(corr2d):"


def failclosed_course(folder):
    import grading_support
    from demo_class import failclosed
    grading_support.course_copy(folder, students=["full_marks"], assignments=["conv-basics"])
    with open(folder / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Isolation.uid_base = {UID_BASE}\nc.Isolation.slots = {SLOTS}\nc.Execute.timeout = 60\n")
    checks = folder / "source" / "conv-basics" / "checks.py"
    checks.write_text(checks.read_text().replace("\nFORBIDDEN_REASON", "\nCALL_SECONDS = 10\nFORBIDDEN_REASON", 1))
    failclosed.write(folder / "submitted", folder)
    return folder


class PeakMemory:
    """The largest resident size of any grader process under `pid` (sandboxes and their children left out)."""

    def __init__(self, pid):
        self.root, self.peak, self.done = psutil.Process(pid), {}, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _graders(self):
        stack = [self.root]
        while stack:
            process = stack.pop()
            try:
                if process.name() == "bwrap":
                    continue
                yield process
                stack.extend(process.children())
            except psutil.Error:
                continue

    def _watch(self):
        while not self.done.wait(0.5):
            for process in self._graders():
                try:
                    self.peak[process.pid] = max(self.peak.get(process.pid, 0), process.memory_info().rss)
                except psutil.Error:
                    pass

    def stop(self):
        self.done.set()
        self.thread.join()
        return max(self.peak.values(), default=0)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    import grading_support
    grading_support.require_sandbox()
    base = tmp_path_factory.mktemp("failclosed")
    driver_course, plain_course = failclosed_course(base / "driver"), failclosed_course(base / "plain")
    plain = subprocess.Popen(f"{grading_support.BIN}/nbgrader generate_assignment conv-basics --force && "
                             f"{grading_support.BIN}/nbgrader autograde conv-basics && "
                             f"{grading_support.BIN}/nbgrader generate_feedback conv-basics && "
                             f"{grading_support.BIN}/nbgrader export", shell=True, cwd=plain_course,
                             env=grading_support.ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    plain_memory = PeakMemory(plain.pid)
    started = time.monotonic()
    driver = subprocess.Popen([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(driver_course)],
                              env=grading_support.ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    driver_memory = PeakMemory(driver.pid)
    try:
        driver_out, driver_err = driver.communicate(timeout=3600)
        driver_seconds = time.monotonic() - started
        plain_log, _ = plain.communicate(timeout=3600)
        plain_seconds = time.monotonic() - started
    finally:
        for process in (driver, plain):
            if process.poll() is None:
                process.kill()
    return {"driver": (driver_course, driver.returncode, driver_out + driver_err, driver_seconds, driver_memory.stop()),
            "plain": (plain_course, plain.returncode, plain_log, plain_seconds, plain_memory.stop())}


def expected_rows():
    from demo_class import failclosed
    from demo_class.make_demo_class import ALL, score
    rows = {student: (score("conv-basics", passing), state) for student, (passing, state) in failclosed.EXPECTED.items()}
    rows["full_marks"] = (score("conv-basics", ALL), "ok")
    return rows


@pytest.mark.parametrize("path", ["driver", "plain"])
def test_every_attacker_gets_exactly_the_expected_row(both, path):
    import grading_support
    course, returncode, log, _, _ = both[path]
    assert returncode == 0, log[-4000:]
    rows = grading_support.read_csv(course / "grades.csv")
    got = {student: (float(row["score"]), row["status"]) for (student, _), row in rows.items()}
    assert got == expected_rows(), {s: (got.get(s), rows.get((s, "conv-basics"), {}).get("details", "")[:300])
                                    for s in expected_rows() if got.get(s) != expected_rows()[s]}
    details = {student: row["details"] for (student, _), row in rows.items()}
    assert "corr2d_manual_lab (the test uses the module 'corr2d'" in details["module_shadow"]
    assert "practice.ipynb is a symbolic link" in details["symlink_notebook"]
    assert "notes.txt (a hard link" in details["hardlink_secret"]
    assert "helpers.py (a symbolic link)" in details["symlink_checks"]
    assert "12041 cells" in details["many_cells"] and "characters of Markdown" in details["tex_2mb"]
    assert "nested" in details["deep_json"]
    feedback = (course / "feedback" / "dilated3d" / "conv-basics" / "practice.html").read_text()
    assert "the PyTorch operator aten::slow_conv_dilated3d is not available" in feedback


@pytest.mark.parametrize("path", ["driver", "plain"])
def test_nothing_from_a_linked_file_reaches_the_autograded_folder_or_any_feedback_page(both, path):
    import grading_support
    course = both[path][0]
    found = []
    for folder in ("autograded", "feedback"):
        for file in (course / folder).rglob("*"):
            if file.is_file() and not file.is_symlink():
                data = file.read_bytes()
                found += [f"{file}: {what}" for what, text in (("secret", grading_support.SECRET),
                                                               ("hidden checks", HIDDEN_CHECKS_LINE))
                          if text.encode() in data]
    assert found == []
    planted = course / "submitted" / "symlink_secret" / "conv-basics"
    assert not (course / "autograded" / "symlink_secret" / "conv-basics" / "notes.txt").exists()
    assert not (course / "autograded" / "symlink_checks" / "conv-basics" / "helpers.py").exists()
    # the secret and the source are untouched, whatever was moved aside
    assert (course / ".convgrade_secret").read_text().strip() == grading_support.SECRET
    assert os.path.lexists(planted / "notes.txt") or (planted / links.REFUSED_FOLDER / "notes.txt").is_symlink()


def test_the_grader_stays_within_the_stated_bounds(both):
    from demo_class import failclosed
    import re
    lines = {match[2]: float(match[1]) for match in re.finditer(r"(?m)^\[\s*\d+/\d+\]\s+([\d.]+) s\s+(\S+)",
                                                                 both["driver"][2])}
    honest = lines["full_marks"]
    print("driver seconds per submission:", lines, "peak grader memory (MB): driver",
          both["driver"][4] >> 20, "plain", both["plain"][4] >> 20, "total seconds: driver", round(both["driver"][3]),
          "plain", round(both["plain"][3]))
    for student in failclosed.EXPECTED:
        assert lines[student] <= 3 * honest + 60, (student, lines[student], honest)
    assert both["driver"][4] < GRADER_MEMORY_BYTES and both["plain"][4] < GRADER_MEMORY_BYTES
    pages = list((both["plain"][0] / "feedback").rglob("*.html")) + list((both["driver"][0] / "feedback").rglob("*.html"))
    assert pages and max(p.stat().st_size for p in pages) < 4 << 20
