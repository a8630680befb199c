"""Links and special files planted in a submission folder are never read, by either grading path.

Whoever can write into submitted/<student>/<assignment>/ can plant a symbolic link (to the
course's secret, an assignment's hidden checks, a root-only file, /dev/zero), a hard link (the
same file under a second name: `make grade` would read it as an ordinary file) or a FIFO. The
grader runs as the instructor, so reading any of them would carry what it points at into the
student's sandbox, the autograded notebook and the feedback page. So an entry of a submission
folder is read only if it is a regular file with one link, or a folder (never followed if it is a
link); everything else is refused, and named in the grades:

- `make grade` reads submissions with read_regular_tree (tasks.read_tree);
- plain `nbgrader autograde` copies a submission's other files with shutil.copy, which follows
  links, before any preprocessor runs. Its public hook before that copy, Autograde's
  pre_convert_hook, is quarantine_links: it moves each refused entry (never what it points at)
  into the folder's REFUSED_FOLDER, which CourseDirectory.ignore keeps out of every copy;
- the notebook itself is read by exporter.TolerantNotebookExporter, which checks it the same way
  (whichever path) and grades a refused notebook as an empty one, flagged "tampered".
"""
import os
import stat

REFUSED_FOLDER = ".convgrade-refused"  # nbgrader_config.py's CourseDirectory.ignore has REFUSED_FOLDER + "*"


def refusal(info):
    """Why an entry with this lstat result must not be read ('' if it may be)."""
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if stat.S_ISDIR(info.st_mode):
        return ""
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a FIFO, socket or device)"
    if info.st_nlink > 1:
        return f"a hard link (the same file has {info.st_nlink} names)"
    return ""


def refused_entries(folder):
    """{relative path: why} of every entry under folder that must not be read (links not followed;
    entries already in REFUSED_FOLDER are named by where they were)."""
    refused = {}
    if not os.path.isdir(folder) or os.path.islink(folder):
        return refused
    for parent, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = os.path.join(parent, name)
            try:
                why = refusal(os.lstat(path))
            except OSError as error:
                why = f"unreadable ({error.strerror})"
            relative = os.path.relpath(path, folder)
            if relative.split(os.sep)[0] == REFUSED_FOLDER and relative != REFUSED_FOLDER:
                relative = os.path.relpath(path, os.path.join(folder, REFUSED_FOLDER))
                if why == "" and not os.path.isdir(path):
                    why = "moved aside before grading"
            if why:
                refused[relative] = why
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(parent, d))]
    return refused


def read_regular_tree(folder, skip=(), limit=None):
    """({relative path: bytes}, {relative path: why refused}) for a submission folder: regular files
    with one link only, read through a descriptor opened without following links."""
    files, refused, total = {}, {}, 0
    if not os.path.isdir(folder) or os.path.islink(folder):
        return files, refused
    for parent, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(parent, d))]:
            path = os.path.join(parent, name)
            relative = os.path.relpath(path, folder)
            if name in skip:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                refused[relative] = "a symbolic link" if os.path.islink(path) else "unreadable"
                continue
            with os.fdopen(fd, "rb") as handle:
                why = refusal(os.fstat(handle.fileno()))
                if why:
                    refused[relative] = why
                    continue
                size = os.fstat(handle.fileno()).st_size
                if limit is not None and total + size > limit:
                    continue  # past the submission's size cap: left out, as nbgrader's sandbox copy does
                total += size
                files[relative] = handle.read()
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(parent, d))]
    return files, refused


def describe(refused, limit=8):
    """One line naming the refused entries (for a status detail)."""
    shown = [f"{name} ({why})" for name, why in sorted(refused.items())[:limit]]
    more = len(refused) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def quarantine_links(assignment=None, student=None, notebooks=(), **kwargs):
    """Autograde.pre_convert_hook: move refused entries of the submission folder aside, unread.

    nbgrader calls it with the student's notebooks (their paths in submitted/) just before it
    copies that folder's other files. Notebooks stay where they are (nbgrader never copies them;
    the exporter refuses a linked one itself).
    """
    folders = {os.path.dirname(path) for path in notebooks or ()}
    for folder in folders:
        aside = os.path.join(folder, REFUSED_FOLDER)
        if os.path.lexists(aside) and (os.path.islink(aside) or not os.path.isdir(aside)):
            planted = aside + ".planted"
            while os.path.lexists(planted):
                planted += "~"
            os.rename(aside, planted)  # a planted one: still ignored by nbgrader (REFUSED_FOLDER*), never used
        for relative in refused_entries(folder):
            if relative.endswith(".ipynb") and os.sep not in relative:
                continue
            source = os.path.join(folder, relative)
            if not os.path.lexists(source):  # already aside, or inside a folder moved aside
                continue
            target = os.path.join(folder, REFUSED_FOLDER, relative)
            os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
            while os.path.lexists(target):
                target += "~"
            os.rename(source, target)  # renames the link itself, never what it points at
