"""The student kit: what a student needs to run the course, and nothing of the instructors'.

    python tools/kit.py [--out _build/kit]      (make kit)

writes OUT/convlab-kit.zip, holding one folder convlab-kit/ with
  README.md          set-up on Linux, macOS and Windows (kit/README.md)
  requirements.txt   what students install (kit/requirements.txt), the convlab wheel first
  wheels/            convlab as a wheel
  book/              every chapter as a notebook (jupytext's conversion of book/*.md: no outputs,
                     no widget state; JupyterLab evaluates the {eval} numbers when a cell runs)
  exercises/<a>/     the release of every assignment, as handed out (notebooks and helper files)
  work/<a>/          the same files again: the student's copy, which they edit and hand in

Everything comes from the committed release (exercises/) and the chapters, never from source/:
the kit holds no solution, no hidden test and no checks module (tests/test_kit.py scans it).
The zip is reproducible (fixed timestamps, sorted names), so an unchanged course gives the same
bytes and the book's download link does not change between builds.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
KIT = "convlab-kit"
ZIP_NAME = f"{KIT}.zip"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # zip entries' timestamp
SOURCE_DATE_EPOCH = "1767225600"  # the same instant, for the wheel's own zip
# Never in the kit, even if a release held them: the instructors' checks and nbgrader's folders.
EXCLUDED_NAMES = {"checks.py", "__pycache__", ".ipynb_checkpoints"}
# The instructors' page (how to grade, with nbgrader) is not a chapter for students.
INSTRUCTOR_PAGES = {"instructors.md", "new_assignment.md"}


def chapters():
    """The students' pages of book/ that are notebooks (the jupytext header)."""
    return [p for p in sorted((ROOT / "book").glob("*.md")) if p.name not in INSTRUCTOR_PAGES
            and p.read_text(encoding="utf-8").startswith("---\njupytext:")]


def chapter_notebook(path):
    import jupytext  # here, not at the top: an up-to-date `make kit` needs neither (1-2 s to import)
    import nbformat
    notebook = jupytext.read(path, fmt="md:myst")
    notebook.metadata.pop("jupytext", None)  # a plain notebook now, not paired with a .md
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # nbformat draws random ids; fixed ones keep the zip reproducible
    return nbformat.writes(notebook) + "\n"


def release_files():
    """{relative path: Path} of every assignment's released files."""
    files = {}
    for assignment in sorted(p for p in (ROOT / "exercises").iterdir() if p.is_dir()):
        for path in sorted(assignment.rglob("*")):
            if path.is_file() and not EXCLUDED_NAMES & set(path.relative_to(assignment).parts):
                files[f"{assignment.name}/{path.relative_to(assignment).as_posix()}"] = path
    if not files:
        raise SystemExit(f"no released assignment under {ROOT / 'exercises'}: run nbgrader generate_assignment first")
    return files


def build_wheel(folder):
    """convlab's wheel, built from a tree holding src/convlab only: the repository's src/ also holds
    convgrade, the grading engine, which would land in the same wheel (students need none of it)."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    with tempfile.TemporaryDirectory() as build:
        tree = pathlib.Path(build) / "convlab"
        shutil.copytree(ROOT / "src" / "convlab", tree / "src" / "convlab",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(folder), str(tree)], check=True, env=env, cwd=build)
    wheels = sorted(folder.glob("convlab-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one convlab wheel in {folder}, found {[w.name for w in wheels]}")
    return wheels[0]


def kit_entries(wheel):
    """{path in the zip: bytes}."""
    template = ROOT / "kit"
    entries = {f"{KIT}/README.md": (template / "README.md").read_bytes()}
    requirements = (template / "requirements.txt").read_text(encoding="utf-8")
    if "{wheel}" not in requirements:
        raise SystemExit(f"{template / 'requirements.txt'} must name the wheel as {{wheel}}")
    entries[f"{KIT}/requirements.txt"] = requirements.replace("{wheel}", f"wheels/{wheel.name}").encode()
    entries[f"{KIT}/wheels/{wheel.name}"] = wheel.read_bytes()
    for path in chapters():
        entries[f"{KIT}/book/{path.stem}.ipynb"] = chapter_notebook(path).encode()
    for relative, path in release_files().items():
        entries[f"{KIT}/exercises/{relative}"] = path.read_bytes()
        entries[f"{KIT}/work/{relative}"] = path.read_bytes()
    return entries


def write_zip(entries, target):
    """Write the zip only when its bytes change (the book re-reads pages whose downloads changed)."""
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".zip", delete=False) as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, entries[name])
    new = pathlib.Path(handle.name)
    if target.is_file() and target.read_bytes() == new.read_bytes():
        new.unlink()
        os.utime(target)  # checked against its inputs now (see up_to_date)
        return False
    new.chmod(0o644)  # NamedTemporaryFile makes it 0600; a web server serving the site must read it
    new.replace(target)
    return True


def inputs():
    """Every file the kit is made from (a change to any of them rebuilds it)."""
    files = [ROOT / "pyproject.toml", pathlib.Path(__file__).resolve(), *(ROOT / "kit").iterdir(),
             *(ROOT / "book").glob("*.md"), *(ROOT / "src" / "convlab").rglob("*.py"), *(ROOT / "exercises").rglob("*")]
    return [f for f in files if f.is_file() and "__pycache__" not in f.parts]


def up_to_date(target):
    # Building the wheel costs 5-15 s, paid on every `make book` otherwise.
    return target.is_file() and all(f.stat().st_mtime <= target.stat().st_mtime for f in inputs())


def build(out):
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        wheel = build_wheel(pathlib.Path(folder))
        entries = kit_entries(wheel)
    changed = write_zip(entries, out / ZIP_NAME)
    return out / ZIP_NAME, changed, len(entries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "_build" / "kit")
    args = parser.parse_args()
    if up_to_date(args.out.resolve() / ZIP_NAME):
        print(f"make kit: {args.out.resolve() / ZIP_NAME} is up to date")
        return
    target, changed, count = build(args.out.resolve())
    size = target.stat().st_size / 1e6
    print(f"make kit: {target} ({count} files, {size:.1f} MB){'' if changed else ', unchanged'}")


if __name__ == "__main__":
    main()
