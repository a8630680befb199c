"""`nbgrader zip_collect` that a student's upload cannot fool (its two public plugin points).

nbgrader's own pair extracts every archive it finds, archives inside archives too, and reads a
student id from the name of every file that comes out. A student who uploads a zip instead of a
notebook then chooses those names: a notebook named for a classmate became that classmate's
submission, one named for a classmate who also handed in stopped the collection for the whole class
("Duplicate submission file"), so did an entry with `..`, and a `timestamp.txt` could become the
submission time. Here (c.ZipCollectApp.extractor_plugin = CanvasExtractor, .collector_plugin =
CanvasCollector):

- Who: the owner of a file is read from the name the platform gave it in its download, and only
  there (Canvas: `<name>[_LATE]_<user id>_<attachment id>_<file name>`). A student's upload that is a
  zip is opened once, for its owner: entries named like a released notebook become the owner's
  notebook; nothing inside is parsed as an id, and archives inside it are not opened. Two platform
  users who would share a student id (two "John Smith"s, or a renamed account) are both refused
  until `student_ids` tells them apart.
- What: links, absolute paths, `..`, devices, encrypted and oversized entries are refused, one entry
  at a time; files that are not a released notebook are ignored. Each time the log names the student.
- Duplicates: per student and notebook the latest upload by the platform's order is kept (Canvas's
  attachment ids grow with every upload); two different copies in one upload are a tie, and neither
  is kept. Nothing a student sends can stop the collection of the others.
- When: Canvas's zip carries no submission time. Its entries are dated when the zip was built
  (Canvas's ContentZipper writes them with rubyzip's default time, `DOSTime.now`); only `LATE_` in a
  name is Canvas's own verdict. The platform's record of the time is the `submitted_at` of Canvas's
  Submissions API: saved as `submissions.json` beside the `archive/` folder, it dates each
  submission. Without it no time is written (and nbgrader applies no late penalty); the log says
  which students Canvas marked late. A file a student wrote (`timestamp.txt`) is never read.

The student id is Canvas's name for the user, which a student may be allowed to edit in Canvas.
Where they can, list the class's user ids in `student_ids` and turn `only_listed` on: the platform's
user id alone then decides who handed in.
"""
import datetime
import hashlib
import io
import json
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from nbgrader.utils import find_all_notebooks
from traitlets import Bool, Dict, Int, Unicode

from . import printable

# Names a student chose (file names, entries of an upload) go into the log as they are: every log
# line of the process is escaped once, here too when a course's configuration did not ask for it.
printable.install()

# Canvas's file names (canvas-lms lib/content_zipper.rb): the user's sortable name, lower case,
# with everything but word characters removed; `LATE` when Canvas judged the submission late; the
# user's id; the attachment's id; the name the student gave the file (only / \ : * ? " < > | removed).
CANVAS_NAME = r"(?P<name>[^\W_]+)_(?P<late>LATE_)?(?P<user_id>\d+)_(?P<attachment_id>\d+)_(?P<file_name>.+)"
# Canvas keeps `_<digits>` at the end of a name (it removes only `_<digits>_`): a user named "alice_5"
# hands in alice_5_<user id>_<attachment id>_<file>, which also reads as alice's, user 5, with a file
# name that starts with digits and `_`. Such names are refused rather than guessed.
AMBIGUOUS = re.compile(r"\d+_")
# A student id becomes a folder name in submitted/: word characters only.
STUDENT_ID = re.compile(r"[^\W_][\w-]*")
# Canvas renames a re-uploaded file practice.ipynb to practice-1.ipynb, practice-2.ipynb, ...
RESUBMITTED = re.compile(r"(?P<stem>.+)-\d+(?P<ext>\.[^.]+)")


def ignored_because(name, inside=False):
    """Why a file a student handed in is not taken (it is not a released notebook)."""
    if name == "timestamp.txt":
        return "submission times come from the platform's record only"
    if inside and name.lower().endswith((".zip", ".gz", ".tar", ".tgz", ".bz2", ".xz", ".7z", ".rar")):
        return "archives inside an upload are not opened"
    if inside:
        return "not a notebook of this assignment (names inside an upload are never read as a student id)"
    return "not a notebook of this assignment"


def entry_problem(info, max_bytes):
    """Why a zip entry must not be taken (a sentence), or "" when it may be."""
    name = info.filename
    parts = re.split(r"[/\\]", name)
    if "\x00" in name:
        return "a NUL byte in its name"
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    if ".." in parts:
        return "'..' in its path"
    mode = info.external_attr >> 16  # Unix zips keep st_mode here (0 from tools that do not)
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "a device, pipe or socket, not a file"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > max_bytes:
        return f"{info.file_size} bytes, over the limit of {max_bytes} (c.CanvasExtractor.max_file_bytes)"
    return ""


def read_entry(archive, info, max_bytes):
    """The entry's bytes, refusing (ValueError) more than max_bytes whatever its header says."""
    with archive.open(info) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"more than {max_bytes} bytes once decompressed (c.CanvasExtractor.max_file_bytes)")
    return data


@dataclass
class Copies:
    """What a student handed in for one notebook, held as it is read: the latest upload in the
    platform's order (one copy's bytes, the digests of all its copies), and how many uploads there were."""
    attachment_id: int = -1
    data: bytes = b""
    digests: tuple = ()
    where: tuple = ()
    uploads: int = 0

    def offer(self, attachment_id, where, data):
        self.uploads += 1
        digest = hashlib.sha256(data).digest()
        if attachment_id > self.attachment_id:  # a later upload replaces what came before
            self.attachment_id, self.data, self.digests, self.where = attachment_id, data, (digest,), (where,)
        elif attachment_id == self.attachment_id:  # another copy in the same upload
            self.where += (where,)
            if digest not in self.digests:
                self.digests += (digest,)


class CanvasExtractor(ExtractorPlugin):
    """Reads Canvas's *Download Submissions* zips in downloaded/<assignment>/archive/ (or their files,
    already unzipped there) and writes each student's notebooks to extracted/<student>/; see the module."""

    name_pattern = Unicode(CANVAS_NAME, help=(
        "Regular expression for the platform's file names, matched against the whole base name. Groups: "
        "name (the student id), user_id (the platform's id of the user), attachment_id (grows with every "
        "upload), file_name (the name the student gave the file), and optionally late.")).tag(config=True)
    student_ids = Dict(key_trait=Unicode(), value_trait=Unicode(), help=(
        "Platform user id -> student id, for users whose names would collide or should differ "
        "from the folder name in submitted/.")).tag(config=True)
    only_listed = Bool(False, help=(
        "Collect only the users listed in student_ids, a roster of the platform's user ids: where students "
        "can edit their names, a name then decides nothing.")).tag(config=True)
    submission_times = Unicode("submissions.json", help=(
        "The platform's record of submission times, beside the archive folder: the JSON list that "
        "Canvas's Submissions API returns (objects with user_id and submitted_at).")).tag(config=True)
    max_file_bytes = Int(50_000_000, help="Largest file taken from an archive, once decompressed.").tag(config=True)
    max_entries = Int(1000, help="Most entries read from one student's zip.").tag(config=True)

    def extract(self, archive_path, extracted_path):
        self.collected = {}  # the files written to extracted_path -> what CanvasCollector reports
        try:
            self._configure(archive_path)
        except ValueError as error:  # the instructor's settings or record: say which, without a traceback
            self.parent.fail(str(error))
        for root, folders, files in os.walk(archive_path):
            folders.sort()
            for file in sorted(files):
                path = os.path.join(root, file)
                if file.endswith(".zip"):
                    self._download(path)
                else:  # the download's files, already unzipped into archive/
                    self._loose_file(path)
        self._write(extracted_path, self._resolve())

    def _configure(self, archive_path):
        try:
            self.pattern = re.compile(self.name_pattern)
        except re.error as error:
            raise ValueError(f"c.CanvasExtractor.name_pattern is not a regular expression: {error}") from error
        for group in ("name", "user_id", "attachment_id", "file_name"):
            if group not in self.pattern.groupindex:
                raise ValueError(f"c.CanvasExtractor.name_pattern needs the group (?P<{group}>...)")
        for user, student in self.student_ids.items():
            if not STUDENT_ID.fullmatch(student):
                raise ValueError(f"c.CanvasExtractor.student_ids[{user!r}] = {student!r} is not a usable student id "
                                 "(letters, digits, _ and -)")
        self.released = self._released_notebooks()
        self.times = self._submission_times(os.path.dirname(os.path.normpath(archive_path)))
        self.copies, self.users, self.late = {}, {}, set()

    # ------------------------------------------------------------------ reading

    def _released_notebooks(self):
        """The assignment's notebooks, by name: the release's (the source's, with the same names, if
        it was not generated in this folder)."""
        coursedir = self.parent.coursedir
        for kind in (coursedir.release_directory, coursedir.source_directory):
            folder = coursedir.format_path(kind, ".", coursedir.assignment_id)
            notebooks = find_all_notebooks(folder)
            if notebooks:
                return {os.path.basename(notebook): notebook for notebook in notebooks}
        raise ValueError(f"assignment {coursedir.assignment_id!r} has no notebooks in {coursedir.release_directory}/ "
                         f"or {coursedir.source_directory}/: nothing to collect")

    def _submission_times(self, folder):
        path = os.path.join(folder, self.submission_times)
        if not os.path.exists(path):
            self.log.warning("No %s beside the archive folder: submissions are collected without a time. Canvas's "
                             "zip has none (its entries are dated when the zip was built); save the Submissions "
                             "API's list there to date them (the instructors' page says how).", path)
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                record = json.load(handle)
            times = {}
            for item in record:
                if item.get("submitted_at"):
                    moment = datetime.datetime.fromisoformat(item["submitted_at"].replace("Z", "+00:00"))
                    if moment.tzinfo is None:
                        raise ValueError(f"submitted_at {item['submitted_at']!r} has no time zone")
                    times[str(item["user_id"])] = moment.astimezone(datetime.timezone.utc)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            raise ValueError(f"c.CanvasExtractor.submission_times: {path} is not Canvas's list of submissions "
                             f"(objects with user_id and submitted_at): {error}") from error
        self.log.info("Submission times from the platform's record: %s (%d users)", path, len(times))
        return times

    def _download(self, path):
        """A zip of the platform's: one entry per file a student handed in."""
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        self._outer_entry(archive, info, path)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError) as error:
            self.log.error("Could not read the download %s (%s): files after the error are not collected",
                           path, error)

    def _outer_entry(self, archive, info, path):
        owner = self._owner(info.filename.replace("\\", "/").rsplit("/", 1)[-1], f"{path}: {info.filename}")
        if owner is None:
            return
        where = f"{os.path.basename(path)}: {info.filename}"
        problem = entry_problem(info, self.max_file_bytes)
        if problem:
            self.log.warning("%s: refused %s: %s", owner["student_id"], where, problem)
            return
        try:
            self._upload(owner, read_entry(archive, info, self.max_file_bytes), where)
        except Exception as error:  # whatever a student's bytes raise stays that student's problem
            self.log.warning("%s: refused %s: %s: %s", owner["student_id"], where, type(error).__name__, error)

    def _loose_file(self, path):
        owner = self._owner(os.path.basename(path), path)
        if owner is None:
            return
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            self.log.warning("%s: refused %s: not a regular file (a link or a device)", owner["student_id"],
                             path)
            return
        if os.path.getsize(path) > self.max_file_bytes:
            self.log.warning("%s: refused %s: over the limit of %d bytes (c.CanvasExtractor.max_file_bytes)",
                             owner["student_id"], path, self.max_file_bytes)
            return
        with open(path, "rb") as handle:
            self._upload(owner, handle.read(), os.path.basename(path))

    def _owner(self, base, where):
        """Who handed the file in, from the name the platform gave it; None (and a message) if not one of its names."""
        match = self.pattern.fullmatch(base)
        if not match:
            self.log.warning("Skipped %s: not a submission file name of the platform (c.CanvasExtractor.name_pattern)",
                             where)
            return None
        if AMBIGUOUS.match(match["file_name"]):
            self.log.warning("Skipped %s: ambiguous, it could be another user's file (a platform name may end in "
                             "_<digits>); rename the file in the archive if it is right", where)
            return None
        user_id = match["user_id"]
        if self.only_listed and user_id not in self.student_ids:
            self.log.warning("Skipped %s: user %s is not in c.CanvasExtractor.student_ids (only_listed is on)",
                             where, user_id)
            return None
        student_id = self.student_ids.get(user_id, match["name"])
        if not STUDENT_ID.fullmatch(student_id):
            self.log.warning("Skipped %s: '%s' is not a usable student id", where, student_id)
            return None
        self.users.setdefault(student_id, set()).add(user_id)
        if "late" in self.pattern.groupindex and match["late"]:
            self.late.add(student_id)
        return {"student_id": student_id, "user_id": user_id, "attachment_id": int(match["attachment_id"]),
                "file_name": match["file_name"]}

    def _upload(self, owner, data, where):
        """One file a student handed in: a released notebook, a zip opened for its owner only, or ignored."""
        student, file_name = owner["student_id"], owner["file_name"]
        notebook = self._notebook(file_name, resubmitted=True)
        if notebook:
            self._offer(student, notebook, owner["attachment_id"], where, data)
        elif file_name.lower().endswith(".zip"):
            self._student_zip(owner, data, where)
        else:
            self.log.warning("%s: ignored %s: %s", student, where, ignored_because(file_name))

    def _notebook(self, file_name, resubmitted):
        if file_name in self.released:
            return self.released[file_name]
        again = RESUBMITTED.fullmatch(file_name) if resubmitted else None
        if again and again["stem"] + again["ext"] in self.released:
            return self.released[again["stem"] + again["ext"]]
        return None

    def _student_zip(self, owner, data, where):
        """A student's zip: its notebooks are its owner's, whatever their names say; nothing else is taken."""
        student = owner["student_id"]
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = [info for info in archive.infolist() if not info.is_dir()]
                if len(entries) > self.max_entries:
                    self.log.warning("%s: refused %s: %d entries, over the limit of %d (c.CanvasExtractor.max_entries)",
                                     student, where, len(entries), self.max_entries)
                    return
                read = 0  # decompressed bytes of notebooks taken from this zip: a bomb stops here
                for info in entries:
                    inner = f"{where} > {info.filename}"
                    problem = entry_problem(info, self.max_file_bytes)
                    if problem:
                        self.log.warning("%s: refused %s: %s", student, inner, problem)
                        continue
                    base = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
                    notebook = self._notebook(base, resubmitted=False)
                    if notebook is None:
                        self.log.warning("%s: ignored %s: %s", student, inner, ignored_because(base, inside=True))
                        continue
                    try:
                        content = read_entry(archive, info, self.max_file_bytes)
                    except Exception as error:  # bad data, an unknown compression, a lying header
                        self.log.warning("%s: refused %s: %s: %s", student, inner, type(error).__name__, error)
                        continue
                    read += len(content)
                    if read > self.max_file_bytes:
                        self.log.warning("%s: refused the rest of %s: more than %d bytes in all "
                                         "(c.CanvasExtractor.max_file_bytes)", student, where, self.max_file_bytes)
                        return
                    self._offer(student, notebook, owner["attachment_id"], inner, content)
        except Exception as error:  # not a zip at all, or one that zipfile cannot read
            self.log.warning("%s: refused %s: not a readable zip (%s: %s)", student, where, type(error).__name__, error)

    def _offer(self, student, notebook, attachment_id, where, data):
        self.copies.setdefault((student, notebook), Copies()).offer(attachment_id, where, data)

    # ------------------------------------------------------------------ deciding and writing

    def _resolve(self):
        """One copy per (student, notebook): the latest upload; a tie of different copies keeps none."""
        shared = {student for student, users in self.users.items() if len(users) > 1}
        for student in sorted(shared):
            self.log.warning("%s: refused: platform users %s all have this student id; give each its own in "
                             "c.CanvasExtractor.student_ids (user id -> student id)", student,
                             ", ".join(sorted(self.users[student], key=int)))
        kept = {}
        for (student, notebook), copies in sorted(self.copies.items()):
            if student in shared:
                continue
            if len(copies.digests) > 1:
                self.log.warning("%s: refused %s: %d different copies in one upload (%s); none is collected",
                                 student, notebook, len(copies.digests), "; ".join(copies.where))
                continue
            if copies.uploads > 1:
                self.log.warning("%s: %s handed in %d times; kept the latest upload, %s", student, notebook,
                                 copies.uploads, copies.where[0])
            kept[student, notebook] = copies
        return kept

    def _write(self, extracted_path, kept):
        for (student, notebook), copies in sorted(kept.items()):
            target = os.path.join(extracted_path, student, notebook)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "xb") as handle:
                handle.write(copies.data)
            user_id = next(iter(self.users[student]))
            moment = self.times.get(user_id) if self.times is not None else None
            if self.times is not None and moment is None:
                self.log.warning("%s: the platform's record has no submission time for user %s; collected without "
                                 "one", student, user_id)
            self.collected[os.path.realpath(target)] = {"student_id": student, "file_id": notebook,
                                                        "timestamp": moment}
        late = sorted(self.late & {student for student, _ in kept})
        if late and self.times is None:
            self.log.warning("Canvas marks %s late, but without its record of submission times no time is written "
                             "and nbgrader applies no late penalty", ", ".join(late))
        elif late:  # Canvas's verdict knows per-student due dates; nbgrader's uses the assignment's
            self.log.info("Canvas marks %s late; nbgrader judges from the times written here and the due date in "
                          "the gradebook", ", ".join(late))
        self.log.info("Collected %d notebooks of %d students", len(kept), len({student for student, _ in kept}))


class CanvasCollector(FileNameCollectorPlugin):
    """Reports, for each file CanvasExtractor wrote, the student and time it decided; nothing is read
    from the file's name or contents."""

    def collect(self, submitted_file):
        extractor = getattr(self.parent, "extractor_plugin_inst", None)
        if not isinstance(extractor, CanvasExtractor):
            raise ValueError("convgrade.collect.CanvasCollector needs c.ZipCollectApp.extractor_plugin = "
                             "'convgrade.collect.CanvasExtractor'")
        found = getattr(extractor, "collected", {}).get(os.path.realpath(submitted_file))
        if found is None:
            self.log.warning("Skipped %s: not written by this run's extractor", submitted_file)
            return None
        return dict(found)
