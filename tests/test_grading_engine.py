"""The grading engine's pieces, each against what it promises (no nbgrader run needed).

codec and wire: only data crosses, within caps; seeds: reproducible and per student; judge: a
test's verdict, partial credit and messages that never quote hidden lines; scan: the escapes it
names; report: records read without following links or waiting on FIFOs; feedback helpers.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest

from convgrade import codec, judge, report, scan, seeds, wire
from convgrade.feedback import HIDDEN_NOTE, HideHiddenTests, MathToMathML, description, only_html


# ---------------------------------------------------------------- codec

def roundtrip(value):
    return codec.decode(json.loads(json.dumps(codec.encode(value))))


@pytest.mark.parametrize("value", [None, True, 3, -2 ** 80, 2.5, "text", (1, [2.0, "x"]), {"a": (1, 2)},
                                   np.float32(1.5), np.arange(6, dtype=np.int16).reshape(2, 3)])
def test_data_travels_by_value(value):
    back = roundtrip(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_torch_tensors_travel_with_their_dtype():
    import torch
    x = torch.arange(6, dtype=torch.int32).reshape(2, 3)
    back = roundtrip(x)
    assert isinstance(back, torch.Tensor) and back.dtype == torch.int32 and torch.equal(back, x)


def test_subclasses_never_travel_as_data():
    class AlwaysEqual(int):
        def __eq__(self, other):
            return True

    class Array(np.ndarray):
        def __eq__(self, other):
            return True

    kept = []
    encoded = codec.encode([AlwaysEqual(1), np.zeros(3).view(Array)], handle=lambda v: kept.append(v) or len(kept))
    assert encoded["list"][0] == {"handle": 1} and type(kept[0]) is AlwaysEqual
    array = codec.decode(encoded["list"][1])
    assert type(array) is np.ndarray  # the subclass's methods stayed behind
    with pytest.raises(codec.Unsupported):
        codec.encode(AlwaysEqual(1))  # no handle to travel as


def test_decoding_refuses_what_is_not_plain_data():
    with pytest.raises(ValueError):
        codec.decode({"ndarray": {"dtype": "|O", "shape": [1], "data": ""}})
    with pytest.raises(ValueError):
        codec.decode({"ndarray": {"dtype": "<f8", "shape": [10 ** 9], "data": ""}})
    with pytest.raises(codec.Unsupported):
        codec.decode({"handle": {"id": 1}})  # only where the caller can resolve handles
    big = np.zeros(codec.MAX_ELEMENTS + 1, dtype=np.uint8)
    with pytest.raises(codec.Unsupported):
        codec.encode(big)


# ---------------------------------------------------------------- wire

def test_an_announced_flood_is_refused_before_it_is_read():
    ours, theirs = socket.socketpair()
    theirs.sendall(struct.pack(">I", 1 << 30))  # announces 1 GiB, sends nothing more
    with pytest.raises(wire.MessageTooLarge):
        wire.receive(ours)
    ours.close(), theirs.close()


def test_messages_roundtrip():
    ours, theirs = socket.socketpair()
    wire.send(theirs, {"op": "run", "n": [1, 2]})
    assert wire.receive(ours) == {"op": "run", "n": [1, 2]}
    ours.close(), theirs.close()


# ---------------------------------------------------------------- seeds

def test_seeds_are_reproducible_and_differ_between_students_and_cells(tmp_path):
    secret = seeds.course_secret(tmp_path)
    assert seeds.course_secret(tmp_path) == secret
    assert oct(os.stat(tmp_path / seeds.SECRET_FILE).st_mode & 0o777) == "0o600"
    alice = seeds.student_key(secret, "", "conv-basics", "alice")
    bob = seeds.student_key(secret, "", "conv-basics", "bob")
    assert alice != bob
    assert seeds.seed(alice, "cell", 3, "t") == seeds.seed(alice, "cell", 3, "t")
    assert len({seeds.seed(alice, "cell", 3, "t"), seeds.seed(bob, "cell", 3, "t"), seeds.seed(alice, "cell", 4, "t")}) == 3
    (tmp_path / "other").mkdir()
    other = seeds.student_key(seeds.course_secret(tmp_path / "other"), "", "conv-basics", "alice")
    assert other != alice  # another course's secret gives other inputs


# ---------------------------------------------------------------- judge (no sandbox: plain names)

def verdict(source, names=None, hidden=frozenset(), partial_credit=True):
    namespace = {"__builtins__": judge.builtins_for_tests(), **(names or {})}
    return judge.run_test(source, "a_test", namespace, seed=1, hidden=hidden, partial_credit=partial_credit)


def test_a_passing_test_keeps_its_prints_and_a_number_is_partial_credit():
    result = verdict('print("fine")\n1.5')
    assert result.passed and result.outputs[0]["text"] == "fine\n"
    assert result.outputs[1]["data"]["text/plain"] == "1.5"
    assert [o.output_type for o in verdict("2", partial_credit=False).outputs] == []


def test_failures_say_why_and_quote_only_visible_lines():
    shown = verdict("x = 1\nassert x == 2")
    assert not shown.passed and "this line of the test failed: assert x == 2" in shown.message
    source = "x = 1\n### BEGIN HIDDEN TESTS\nassert x == 2  # secret\n### END HIDDEN TESTS"
    hidden = verdict(source, hidden=judge.hidden_lines(source))
    assert "secret" not in hidden.message and "hidden check" in hidden.message
    assert verdict("assert False, 'with words'").message.startswith("with words")


def test_an_unwritten_answer_is_named_as_such():
    def stub():
        raise NotImplementedError()
    assert "not written yet" in verdict("stub()", {"stub": stub}).message


def test_a_test_that_does_not_compile_is_not_rechecked():
    assert verdict("def (").kind == "not re-checked"


def test_hidden_lines_cover_each_region():
    source = "a\n### BEGIN HIDDEN TESTS\nb\n### END HIDDEN TESTS\nc\n### BEGIN HIDDEN TESTS\nd\n### END HIDDEN TESTS"
    assert judge.hidden_lines(source) == {2, 3, 4, 6, 7, 8}


def test_import_checks_gives_the_assignments_module_only():
    class Content:
        marker = 42
    result = verdict("import checks\nassert checks.marker == 42", {"__builtins__": judge.builtins_for_tests(Content)})
    assert result.passed
    assert not verdict("import checks").passed  # no checks module: nothing importable by that name


# ---------------------------------------------------------------- scan

@pytest.mark.parametrize("source, found", [
    ("import sys\nsys.setprofile(None)", "sys.setprofile"),
    ("import threading\nthreading.Thread(target=print).start()", "threading"),
    ("import torch\ntorch.ops.aten.conv2d(x, w)", "torch.ops.aten.conv2d"),
    ("import ctypes", "ctypes"),
    ("import importlib\nimportlib.import_module('scipy')", "importlib"),
    ("__import__('scipy.signal')", "__import__"),
    ("get_ipython().input_transformers_post.append(f)", "get_ipython().input_transformers_post"),
    ("import numpy as np\nnp.allclose = lambda *a, **k: True", "np.allclose"),
    ("import gc\ngc.get_objects()", "gc"),
])
def test_scan_names_the_ways_around_the_rules(source, found):
    assert found in [what for what, _ in scan.findings(source)]


@pytest.mark.parametrize("source", [
    "import numpy as np\nsignal = np.zeros(3)\nthreading = 2",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "def corr2d(X, K):\n    return sum(X)",
])
def test_scan_leaves_honest_code_alone(source):
    assert scan.findings(source) == []


# ---------------------------------------------------------------- report: records read safely

class Dirs:
    def __init__(self, root):
        self.root = str(root)
        self.source_directory, self.submitted_directory = "source", "submitted"
        self.autograded_directory, self.feedback_directory = "autograded", "feedback"


def test_records_are_read_without_following_links_or_waiting_on_fifos(tmp_path):
    dirs = Dirs(tmp_path)
    (tmp_path / "source" / "a").mkdir(parents=True)
    (tmp_path / "source" / "a" / "nb.ipynb").write_text("{}")
    record = report.log_path(dirs, "bob", "a", ".json")
    os.mkfifo(record)
    reader = threading.Thread(target=report.flags, args=(dirs, "bob", "a"), daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a FIFO as a record must not block"
    os.unlink(record)
    (tmp_path / "forged.json").write_text(json.dumps({"status": "ok", "detail": ""}))
    os.symlink(tmp_path / "forged.json", record)
    assert report.read_regular(record) is None
    os.unlink(record)
    record.write_text("not json")
    assert report.flags(dirs, "bob", "a")[0][0] == "grader error"


# ---------------------------------------------------------------- feedback helpers

def graded(source, outputs=()):
    from nbformat.v4 import new_code_cell
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "locked": True, "points": 1.0,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def test_feedback_hides_hidden_regions_and_names_the_test():
    from nbformat.v4 import new_notebook, new_output
    cell = graded('"""corr2d matches torch."""\nx = 1\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS',
                  [new_output("error", ename="AssertionError", evalue="wrong at (1, 2)", traceback=["secret() line"])])
    nb, _ = HideHiddenTests().preprocess(new_notebook(cells=[cell]), {})
    shown = nb.cells[0]
    assert "secret" not in shown.source and HIDDEN_NOTE in shown.source
    assert shown.outputs[0].traceback == ["AssertionError: wrong at (1, 2)"]
    assert shown.metadata["convgrade"]["description"] == "corr2d matches torch."
    assert description("x = 1") == ""


def test_math_becomes_mathml_and_prices_stay_text():
    from nbformat.v4 import new_markdown_cell, new_notebook
    nb = new_notebook(cells=[new_markdown_cell("The size is $\\lfloor (n - k)/s \\rfloor + 1$; costs $5 and $6.")])
    nb, _ = MathToMathML().preprocess(nb, {})
    text = nb.cells[0].source
    assert "<math" in text and "lfloor" not in text and "$5 and $6" in text


def test_only_html_stays_in_feedback(tmp_path):
    page = tmp_path / "feedback" / "bob" / "a"
    (page / "sub").mkdir(parents=True)
    (page / "practice.html").write_text("<html></html>")
    (page / "huge.bin").write_bytes(b"x" * 100)
    (page / "sub" / "copied.py").write_text("solutions")
    os.symlink("/etc/passwd", page / "link.html")
    only_html(str(tmp_path), "feedback")(assignment="a", student="bob", notebooks=[])
    assert sorted(p.name for p in page.rglob("*")) == ["practice.html"]


# ---------------------------------------------------------------- gradebook

def _schema(path):
    """nbgrader's tables as created, and the migration revision alembic reads from the database.

    The version table's own DDL is left out: nbgrader writes it by hand without a primary key,
    alembic's stamp with one; alembic reads both alike, and the revision is compared instead."""
    import sqlite3

    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    with sqlite3.connect(path) as db:
        tables = sorted(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                   "AND name != 'alembic_version'"))
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return tables, revision


def test_a_stamped_gradebook_is_the_one_nbgrader_makes_without_its_alembic_subprocess(tmp_path, monkeypatch):
    """The oracle: a gradebook nbgrader creates on its own (it runs `alembic heads` to stamp it)."""
    import nbgrader.api
    from nbgrader.api import Gradebook

    from convgrade.gradebook import stamp_if_new
    monkeypatch.setenv("PATH", f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")  # its `alembic`
    with Gradebook(f"sqlite:///{tmp_path / 'nbgrader.db'}"):
        pass
    monkeypatch.setattr(nbgrader.api, "get_alembic_version",
                        lambda: pytest.fail("nbgrader ran alembic for a stamped gradebook"))
    ours = f"sqlite:///{tmp_path / 'ours.db'}"
    assert stamp_if_new(ours) is True
    with Gradebook(ours) as gb:
        gb.add_assignment("a1")
    assert _schema(tmp_path / "ours.db") == _schema(tmp_path / "nbgrader.db")
    assert stamp_if_new(ours) is False  # a gradebook in use is left alone
    with Gradebook(ours) as gb:
        assert [a.name for a in gb.assignments] == ["a1"]


def test_importing_nbgrader_builds_no_iri_grammars():
    """requirements.txt keeps jsonschema below 4.25, whose format extra imports rfc3987_syntax:
    some 35 Lark grammars built in every grading process that imports nbformat (1.7 s each here)."""
    code = "import sys, nbgrader.apps; print('rfc3987_syntax' in sys.modules, 'lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
