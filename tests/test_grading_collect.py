"""`nbgrader zip_collect` with this repository's configuration, against students who attack it.

A Canvas "Download Submissions" zip is built here the way Canvas builds it (canvas-lms
lib/content_zipper.rb: files named <name>[_LATE]_<user id>_<attachment id>_<file>, every entry
dated when the zip was made), with a saved Submissions API record beside it, and the real
`nbgrader zip_collect` CLI collects it into a course copy. The honest students must arrive whole
and dated by the platform; the attackers (an impersonation, a classmate's name, `..`, absolute
paths, links, devices, a forged timestamp.txt, an ambiguous account name) must get nothing but their
own work, and nothing may be written outside submitted/ and the extraction folder. Plain nbgrader
then grades part of the class with a late penalty, judged from its own export.
"""
import csv
import datetime
import hashlib
import json
import pathlib
import stat
import subprocess
import zipfile

import pytest

from demo_class.make_demo_class import SUBMITTED
from grading_support import BIN, ENV, course_copy

ASSIGNMENT = "conv-basics"
DUE = "2026-12-02 00:00:00 UTC"
ZIPPED_AT = (2026, 12, 5, 9, 0, 0)  # when the instructor downloaded: Canvas dates every entry so


def notebook(kind):
    return (SUBMITTED / kind / ASSIGNMENT / "practice.ipynb").read_bytes()


def member(name, data, mode=stat.S_IFREG | 0o644):
    info = zipfile.ZipInfo(name, date_time=ZIPPED_AT)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix: external_attr carries the file type
    info.external_attr = mode << 16
    return info, data


def zip_bytes(members):
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


# user id -> (student id Canvas writes, submitted_at in Canvas's record or None)
USERS = {1001: ("bitdiddleben", "2026-12-01T10:00:00Z"),   # honest, handed in twice in one attempt
         1002: ("hackeralyssa", "2026-12-03T08:30:00Z"),   # honest and late (Canvas writes LATE_)
         1003: ("mallorymeg", "2026-12-01T11:00:00Z"),     # a zip holding a notebook named for victimcarl
         1004: ("victimcarl", None),                       # handed in nothing
         1005: ("trudyted", "2026-12-01T12:00:00Z"),       # a zip with her work and one named for Ben
         1006: ("eveeric", "2026-12-03T09:00:00Z"),        # late; links, .., absolute paths, timestamp.txt
         1007: ("twintess", "2026-12-01T13:00:00Z"),       # two different practice.ipynb in one zip
         1010: ("bitdiddleben_1001", "2026-12-01T14:00:00Z"),  # an account renamed to read as Ben's
         1011: ("lucylzma", "2026-12-01T17:00:00Z"),       # a zip whose data breaks its decompressor, and a non-zip
         1008: ("smithjohn", "2026-12-01T15:00:00Z"),      # two users with the same name
         1009: ("smithjohn", "2026-12-01T16:00:00Z")}


def corrupt_lzma_zip():
    """A zip whose one notebook's LZMA data is damaged: reading it raises lzma.LZMAError."""
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_LZMA) as archive:
        archive.writestr("practice.ipynb", notebook("full_marks"))
    data = bytearray(buffer.getvalue())
    start = data.find(b"practice.ipynb") + len("practice.ipynb") + 20
    data[start:start + 40] = b"\xff" * 40
    return bytes(data)


def canvas_download(outside):
    """The download's entries, and what each honest or attacking student should end up with."""
    ben_old, ben_new = notebook("wrong"), notebook("full_marks")
    alyssa, trudy, eve, meg = notebook("partial"), notebook("off_by_one"), notebook("round_not_floor"), notebook("full_marks")
    meg_zip = zip_bytes([member("victimcarl_1004_6001_practice.ipynb", meg)])
    trudy_zip = zip_bytes([member("bitdiddleben_1001_5002_practice.ipynb", notebook("untouched_stub")),
                           member("practice.ipynb", trudy)])
    eve_zip = zip_bytes([
        member("work/practice.ipynb", eve),
        member("../practice.ipynb", notebook("untouched_stub")),
        member("../../../escaped.ipynb", b"{}"),
        member(f"{outside}/practice.ipynb", notebook("untouched_stub")),
        member("practice.ipynb", b"/etc/passwd", mode=stat.S_IFLNK | 0o777),
        member("link/practice.ipynb", f"{outside}/practice.ipynb".encode(), mode=stat.S_IFLNK | 0o777),
        member("dev/practice.ipynb", b"", mode=stat.S_IFCHR | 0o666),
        member("timestamp.txt", b"2000-01-01 00:00:00"),
        member("bomb/practice.ipynb", bytes(60_000_000)),  # 60 MB of zeros, 58 kB compressed
        member("\x1b]52;c;aGk=\x07\x1b[2J.ipynb", b"{}"),  # a clipboard write and a cleared screen
        member("inner.zip", zip_bytes([member("hackeralyssa_1002_5555_practice.ipynb", notebook("untouched_stub"))])),
    ])
    tess_zip = zip_bytes([member("a/practice.ipynb", notebook("partial")), member("b/practice.ipynb", notebook("wrong"))])
    renamed_zip = zip_bytes([member("practice.ipynb", notebook("untouched_stub"))])
    entries = [
        member("bitdiddleben_1001_5001_practice.ipynb", ben_old),
        member("bitdiddleben_1001_5008_practice-1.ipynb", ben_new),   # a later upload wins
        member("hackeralyssa_LATE_1002_5002_practice.ipynb", alyssa),
        member("mallorymeg_1003_5003_practice.zip", meg_zip),
        member("trudyted_1005_5005_practice.zip", trudy_zip),
        member("eveeric_LATE_1006_5006_practice.zip", eve_zip),
        member("eveeric_LATE_1006_5007_timestamp.txt", b"2000-01-01 00:00:00"),
        member("twintess_1007_5009_practice.zip", tess_zip),
        member("bitdiddleben_1001_1010_5010_practice.zip", renamed_zip),
        member("lucylzma_1011_5017_practice.zip", corrupt_lzma_zip()),
        member("lucylzma_1011_5018_notes.zip", b"not a zip"),
        member("smithjohn_1008_5013_practice.ipynb", notebook("partial")),
        member("smithjohn_1009_5014_practice.ipynb", notebook("off_by_one")),
        # entries of the download itself that leave the folder (never from Canvas, refused all the same)
        member("../bitdiddleben_1001_5011_practice.ipynb", notebook("untouched_stub")),
        member(f"{outside}/bitdiddleben_1001_5012_practice.ipynb", notebook("untouched_stub")),
    ]
    collected = {"bitdiddleben": ben_new, "hackeralyssa": alyssa, "trudyted": trudy, "eveeric": eve}
    return entries, collected


def record():
    """Canvas's Submissions API list (GET /api/v1/courses/:c/assignments/:a/submissions), as saved."""
    return [{"id": 90000 + user, "user_id": user, "assignment_id": 77, "submitted_at": moment,
             "late": bool(moment and moment > "2026-12-02"), "workflow_state": "submitted" if moment else "unsubmitted"}
            for user, (_, moment) in USERS.items()]


def tree(root, skip=()):
    found = {}
    for path in sorted(root.rglob("*")):
        if any(path.is_relative_to(s) for s in skip):
            continue
        found[str(path)] = "link" if path.is_symlink() else (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir")
    return found


def collect(tmp_path, with_record=True, config="", extra=()):
    course = course_copy(tmp_path / "course", students=[], assignments=[ASSIGNMENT])
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write(config)
    outside = tmp_path / "outside"  # where absolute entries point
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    entries, collected = canvas_download(outside)
    entries += extra
    (archive / "course-conv-basics_submissions.zip").write_bytes(zip_bytes(entries))
    if with_record:
        (course / "downloaded" / ASSIGNMENT / "submissions.json").write_text(json.dumps(record()))
    extracted = course / "downloaded" / ASSIGNMENT / "extracted"
    before = tree(tmp_path, skip=[course / "submitted"])
    run = subprocess.run([str(BIN / "nbgrader"), "zip_collect", ASSIGNMENT], cwd=course, env=ENV,
                         capture_output=True, text=True, timeout=300)
    after = tree(tmp_path, skip=[course / "submitted", extracted])
    return course, run, collected, before, after


def timestamp(course, student):
    text = (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").read_text()
    return datetime.datetime.fromisoformat(text).astimezone(datetime.timezone.utc)


@pytest.fixture(scope="module")
def collected_class(tmp_path_factory):
    return collect(tmp_path_factory.mktemp("collect"))


def test_the_class_is_collected_whatever_the_attackers_sent(collected_class):
    course, run, collected, _, _ = collected_class
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    submitted = course / "submitted"
    assert {p.name for p in submitted.iterdir()} == set(collected), log
    for student, data in collected.items():
        folder = submitted / student / ASSIGNMENT
        assert sorted(p.name for p in folder.iterdir()) == ["practice.ipynb", "timestamp.txt"], student
        assert (folder / "practice.ipynb").read_bytes() == data, f"{student} has their own work, and only it"


def test_nobody_is_impersonated(collected_class):
    course, run, _, _, _ = collected_class
    log = run.stdout + run.stderr
    assert not (course / "submitted" / "victimcarl").exists(), "a notebook inside mallorymeg's zip is hers, not Carl's"
    assert not (course / "submitted" / "mallorymeg").exists()
    assert "mallorymeg: ignored" in log and "victimcarl_1004_6001_practice.ipynb" in log
    # Ben's folder holds his latest upload, not trudyted's copy named for him, nor the renamed account's
    assert (course / "submitted" / "bitdiddleben" / ASSIGNMENT / "practice.ipynb").read_bytes() == notebook("full_marks")
    assert "bitdiddleben: conv-basics" not in log
    assert "bitdiddleben: practice.ipynb handed in 2 times; kept the latest upload" in log
    assert "ambiguous" in log and "bitdiddleben_1001_1010_5010_practice.zip" in log
    assert "twintess: refused practice.ipynb: 2 different copies in one upload" in log
    assert not (course / "submitted" / "twintess").exists()
    assert "lucylzma: refused course-conv-basics_submissions.zip: lucylzma_1011_5017_practice.zip > practice.ipynb: " \
           "LZMAError" in log and "lucylzma: refused course-conv-basics_submissions.zip: lucylzma_1011_5018_notes.zip: " \
           "not a readable zip" in log
    assert not (course / "submitted" / "lucylzma").exists()
    assert "smithjohn: refused: platform users 1008, 1009 all have this student id" in log
    assert not (course / "submitted" / "smithjohn").exists()


def test_links_absolute_paths_and_dotdot_are_refused_per_student(collected_class):
    course, run, _, before, after = collected_class
    log = run.stdout + run.stderr
    for why in ("a symbolic link", "an absolute path", "'..' in its path", "a device, pipe or socket",
                "60000000 bytes, over the limit"):
        assert f"eveeric: refused" in log and why in log, why
    assert "eveeric: ignored" in log and "archives inside an upload are not opened" in log
    assert "bitdiddleben: refused course-conv-basics_submissions.zip: ../bitdiddleben_1001_5011_practice.ipynb" in log
    assert "\\x1b]52;c;aGk=\\x07\\x1b[2J.ipynb" in log and not any(c in log for c in "\x1b\x07\x9b"), \
        "names a student chose reach the terminal escaped"
    assert before == after, "nothing is written outside submitted/ and the extraction folder"
    assert not (course.parent / "outside").exists()
    for path in (course / "submitted").rglob("*"):
        assert not path.is_symlink() and (path.is_dir() or path.name in ("practice.ipynb", "timestamp.txt")), path


def test_submission_times_are_the_platforms(collected_class):
    course, run, collected, _, _ = collected_class
    times = {USERS[user][0]: moment for user, (_, moment) in
             ((user, USERS[user]) for user in USERS)}
    for student in collected:
        expected = datetime.datetime.fromisoformat(times[student].replace("Z", "+00:00"))
        assert timestamp(course, student) == expected, student
    # eveeric's own timestamp.txt (in her zip and as an upload) is ignored, and says so
    assert timestamp(course, "eveeric").year == 2026
    log = run.stdout + run.stderr
    for where in ("eveeric_LATE_1006_5007_timestamp.txt", "eveeric_LATE_1006_5006_practice.zip > timestamp.txt"):
        assert f"{where}: submission times come from the platform's record only" in log


def test_without_the_record_no_time_is_written_and_the_log_says_who_is_late(tmp_path):
    """Also: a roster of user ids (c.CanvasExtractor.student_ids, only_listed) tells two users of the
    same name apart, and refuses an account renamed after a classmate who handed in nothing."""
    roster = {str(user): name for user, (name, _) in USERS.items()
              if name in ("bitdiddleben", "hackeralyssa", "trudyted", "eveeric", "victimcarl", "smithjohn")}
    roster["1009"] = "smithjohn2"
    renamed = member("victimcarl_1012_5020_practice.ipynb", notebook("full_marks"))  # user 1012 calls himself Carl
    course, run, collected, _, _ = collect(
        tmp_path, with_record=False, extra=[renamed],
        config=f"\nc.CanvasExtractor.student_ids = {roster!r}\nc.CanvasExtractor.only_listed = True\n")
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    collected.update(smithjohn=notebook("partial"), smithjohn2=notebook("off_by_one"))
    assert "victimcarl_1012_5020_practice.ipynb: user 1012 is not in c.CanvasExtractor.student_ids" in log
    assert {p.name for p in (course / "submitted").iterdir()} == set(collected), log
    for student, data in collected.items():
        assert (course / "submitted" / student / ASSIGNMENT / "practice.ipynb").read_bytes() == data, student
        folder = course / "submitted" / student / ASSIGNMENT
        assert sorted(p.name for p in folder.iterdir()) == ["practice.ipynb"], student
    assert "Canvas marks eveeric, hackeralyssa late" in log


def test_plain_nbgrader_applies_its_late_penalty_on_the_platforms_time(collected_class):
    """nbgrader's own late-penalty logic and export are the judge: on time by Canvas's record means no
    penalty though the zip's entries are dated after the due date; late means the whole score
    (penalty_method "zero"), and eveeric's forged 2000-01-01 changes nothing."""
    course = collected_class[0]
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    steps = [["generate_assignment", ASSIGNMENT, "--force"], ["db", "assignment", "add", ASSIGNMENT, f"--duedate={DUE}"],
             # the two who tell the time's source apart: on time by the record though the zip's dates are after
             # the due date, and late by the record despite her timestamp.txt (a glob on student ids: b*, e*)
             ["autograde", ASSIGNMENT, "--student=[be]*"], ["export"]]
    for step in steps:
        run = subprocess.run([str(BIN / "nbgrader"), *step], cwd=course, env=ENV, capture_output=True, text=True,
                             timeout=1200)
        assert run.returncode == 0, f"nbgrader {' '.join(step)}:\n{run.stdout}{run.stderr}"[-5000:]
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(collected_class[2])
    for student in ("bitdiddleben", "eveeric"):
        row = rows[student]
        user = next(user for user, (name, _) in USERS.items() if name == student)
        submitted = datetime.datetime.fromisoformat(USERS[user][1].replace("Z", "+00:00")).replace(tzinfo=None)
        assert datetime.datetime.fromisoformat(row["timestamp"]) == submitted, row
        raw, penalty = float(row["raw_score"]), float(row["late_submission_penalty"])
        assert raw > 0, row
        if student == "eveeric":
            assert penalty == raw and float(row["score"]) == 0, row
        else:
            assert penalty == 0 and float(row["score"]) == raw, row


@pytest.mark.parametrize("config, record, words", [
    ('c.CanvasExtractor.name_pattern = r"(?P<name>[a-z]+)_(?P<file_name>.+)"', None,
     "c.CanvasExtractor.name_pattern needs the group (?P<user_id>...)"),
    ('c.CanvasExtractor.student_ids = {"1009": "../bob"}', None, "c.CanvasExtractor.student_ids['1009']"),
    ("", '[{"user_id": 1001, "submitted_at": "yesterday"}]', "c.CanvasExtractor.submission_times: "),
])
def test_the_instructors_mistakes_are_named(tmp_path, config, record, words):
    course = course_copy(tmp_path / "course", students=[], assignments=[ASSIGNMENT])
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write(f"\n{config}\n")
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    (archive / "submissions.zip").write_bytes(zip_bytes([member("bitdiddleben_1001_5001_practice.ipynb", b"{}")]))
    if record is not None:
        (course / "downloaded" / ASSIGNMENT / "submissions.json").write_text(record)
    run = subprocess.run([str(BIN / "nbgrader"), "zip_collect", ASSIGNMENT], cwd=course, env=ENV,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and words in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert list((course / "submitted").iterdir()) == []
